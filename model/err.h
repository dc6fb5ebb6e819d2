/* err.h - the one error type from engines to the status bar, and one way to fill it. */
#ifndef DBFLEET_ERR_H
#define DBFLEET_ERR_H

#define ERR_MSG_MAX 256

/* An error with context for the user: "connect: timeout after 3s". */
struct err {
	int code; /* enum err_code */
	char msg[ERR_MSG_MAX];
};

enum err_code {
	ERR_NONE = 0,
	ERR_FAIL,     /* generic failure: refused, bad query, lost connection */
	ERR_TIMEOUT,  /* a deadline was missed */
	ERR_AUTH,     /* authentication or authorisation failed at connect */
	ERR_CONFIG,   /* bad input from the user */
	ERR_REFUSED,  /* an action refused: the object is not what was shown any more */
};

/* Fill 'e' (NULL-safe) with 'code' and a printf-style message, cut to fit; returns -1
 * so that "return err_set(e, ...);" ends a failing function. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
