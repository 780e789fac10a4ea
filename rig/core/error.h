/* error: one recorded message per thread, like git_error_last(). The
 * message is thread-local; gvab itself runs one thread per process (the
 * campaign's host workers are forked processes, each with its own copy).
 *
 * Functions return 0 on success or a negative GVAB_E* code, after recording
 * one message with error_set(). Callers that add context use error_wrap(),
 * which prefixes the recorded message. The top level prints it once.
 */
#ifndef GVAB_ERROR_H
#define GVAB_ERROR_H

/* Error codes returned by functions (negative) and their process exit codes.
 * Exit codes are documented in README.md ("Exit codes"). */
enum {
	GVAB_OK = 0,
	GVAB_EFAIL = -1,    /* generic failure: exit 1 */
	GVAB_EUSAGE = -2,   /* bad command line: exit 64 */
	GVAB_EPRECOND = -3, /* missing tool, not root, no source: exit 69 */
	GVAB_EDATA = -4,    /* invalid input data or samples: exit 65 */
	GVAB_EINTR = -5,    /* interrupted by a signal: exit 130 */
};

/* Exit codes (BSD sysexits where one fits). */
enum {
	EXIT_GVAB_FAIL = 1,
	EXIT_GVAB_UNDECIDED = 3, /* gate: undecided; bisect: stopped by --max-steps */
	EXIT_GVAB_USAGE = 64,
	EXIT_GVAB_DATA = 65,
	EXIT_GVAB_PRECOND = 69,
	EXIT_GVAB_INTR = 130,
};

/* Records a message (printf format), replacing any earlier one. Returns
 * GVAB_EFAIL so callers can write `return error_set(...)`. */
int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, returning `code`. */
int error_setc(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the recorded message with "<context>: ". Returns `code`. */
int error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The recorded message, or "unknown error". Never NULL. */
const char *error_last(void);
/* Maps a negative error code to a process exit code. */
int error_exit_code(int code);

#endif
