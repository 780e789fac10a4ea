/* Fuzz target: a patch file's text: patch_header_parse (the header before
 * the diff) and patch_reverse_text (the diff with its sides swapped, used
 * to detect patches already upstream), and patch_version_cmp on its first
 * two lines. */
#include "fuzz.h"
#include "patch.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct patch_header h;
	if (patch_header_parse(text, "fuzz.patch", &h) == 0)
		patch_header_free(&h);
	char *rev = patch_reverse_text(text);
	if (rev) {
		char *back = patch_reverse_text(rev);
		free(back);
	}
	free(rev);
	char *nl = strchr(text, '\n');
	if (nl) {
		*nl = '\0';
		patch_version_cmp(text, nl + 1);
	}
	free(text);
	return 0;
}
