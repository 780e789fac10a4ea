/* Fuzz target: INI inventories (inventory_load, then the selections gvab
 * hosts makes). */
#include "fuzz.h"
#include "inventory.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = fuzz_write("hosts.ini", data, size);
	struct inventory inv;
	if (inventory_load(p, &inv) == 0) {
		size_t *idx;
		inventory_select(&inv, "all", &idx);
		free(idx);
		inventory_select(&inv, inv.hosts[0].name, &idx);
		free(idx);
		inventory_free(&inv);
	}
	free(p);
	return 0;
}
