/* error: the recorded error message of each thread (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Thread-local, as error.h says: a thread never sees another's message. */
static _Thread_local char last_msg[2048];

static void vset(const char *fmt, va_list ap)
{
	vsnprintf(last_msg, sizeof last_msg, fmt, ap);
}

int error_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(fmt, ap);
	va_end(ap);
	return GVAB_EFAIL;
}

int error_setc(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(fmt, ap);
	va_end(ap);
	return code;
}

int error_wrap(int code, const char *fmt, ...)
{
	char prefix[512], old[sizeof last_msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, last_msg, sizeof old);
	/* Truncation of a very long message is acceptable; say so to GCC. */
	int n = snprintf(last_msg, sizeof last_msg, "%s: ", prefix);
	if (n < 0 || (size_t)n >= sizeof last_msg)
		return code;
	size_t room = sizeof last_msg - (size_t)n;
	const char *o = old[0] ? old : "unknown error";
	size_t ol = strlen(o);
	if (ol >= room)
		ol = room - 1;
	memcpy(last_msg + n, o, ol);
	last_msg[(size_t)n + ol] = '\0';
	return code;
}

const char *error_last(void)
{
	return last_msg[0] ? last_msg : "unknown error";
}

int error_exit_code(int code)
{
	switch (code) {
	case GVAB_OK: return 0;
	case GVAB_EUSAGE: return EXIT_GVAB_USAGE;
	case GVAB_EPRECOND: return EXIT_GVAB_PRECOND;
	case GVAB_EDATA: return EXIT_GVAB_DATA;
	case GVAB_EINTR: return EXIT_GVAB_INTR;
	default: return EXIT_GVAB_FAIL;
	}
}
