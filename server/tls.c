/*
 * tls.c -- the server's own certificate (--tls-cert, --tls-key): checked
 * before the listener opens, put into the vhost's SSL_CTX (TLS 1.2 at least)
 * when lws creates it, and read again on SIGHUP. A new pair is read whole and
 * checked in a scratch SSL_CTX before it replaces the old one, so a broken or
 * half-written file leaves the running certificate in place and is logged.
 * Connections already open keep the certificate they started with.
 * It does not listen or answer: http.c owns the vhost and the headers (HSTS).
 */
#include "foliod.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>
#include <time.h>

/* The vhost's SSL_CTX, owned by lws; NULL until it exists or without TLS. */
static SSL_CTX *tls_live;

bool
tls_enabled(void)
{
	return cfg.tls_cert[0] != '\0';
}

/* The oldest OpenSSL error as text, and the queue emptied. */
static void
tls_error(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char why[256];

	ERR_error_string_n(e, why, sizeof why);
	snprintf(err, errlen, "%s %s: %s", what, path, e ? why : "unreadable");
	ERR_clear_error();
}

/*
 * Reads the certificate chain and key into a new SSL_CTX and checks that the
 * key belongs to the certificate. Returns it (caller frees with
 * SSL_CTX_free), or NULL with the reason in err.
 */
static SSL_CTX *
tls_read(char *err, size_t errlen)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());

	if (c == NULL) {
		snprintf(err, errlen, "cannot create an SSL_CTX");
		return NULL;
	}
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(c, cfg.tls_cert) != 1)
		tls_error(err, errlen, "certificate", cfg.tls_cert);
	else if (SSL_CTX_use_PrivateKey_file(c, cfg.tls_key, SSL_FILETYPE_PEM) != 1)
		tls_error(err, errlen, ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH ?
		    "key does not match the certificate:" : "key", cfg.tls_key);
	else if (SSL_CTX_check_private_key(c) != 1)
		tls_error(err, errlen, "key does not match the certificate:", cfg.tls_key);
	else
		return c;
	SSL_CTX_free(c);
	return NULL;
}

/* Logs which certificate serves now: its serial and when it expires. */
static void
tls_log_cert(const char *verb, SSL_CTX *c)
{
	X509 *x = SSL_CTX_get0_certificate(c);
	BIGNUM *bn = x ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
	char *serial = bn ? BN_bn2hex(bn) : NULL, until[32] = "?";
	struct tm tm;

	if (x && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_info("tls: %s %s (serial %s, valid until %s)", verb, cfg.tls_cert,
	    serial ? serial : "?", until);
	OPENSSL_free(serial);
	BN_free(bn);
}

/*
 * Moves the checked certificate, its chain and key from scratch into the live
 * SSL_CTX in one call; on failure the live one keeps what it had.
 */
static int
tls_install(SSL_CTX *live, SSL_CTX *scratch, char *err, size_t errlen)
{
	STACK_OF(X509) *chain = NULL;

	SSL_CTX_get0_chain_certs(scratch, &chain);
	if (SSL_CTX_use_cert_and_key(live, SSL_CTX_get0_certificate(scratch),
		SSL_CTX_get0_privatekey(scratch), chain, 1) != 1) {
		tls_error(err, errlen, "cannot use", cfg.tls_cert);
		return -1;
	}
	return 0;
}

int
tls_check(char *err, size_t errlen)
{
	SSL_CTX *c;

	if (!tls_enabled() && cfg.tls_key[0] == '\0')
		return 0;
	if (!tls_enabled() || cfg.tls_key[0] == '\0') {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		return -1;
	}
	if ((c = tls_read(err, errlen)) == NULL)
		return -1;
	SSL_CTX_free(c);
	return 0;
}

int
tls_vhost_ready(void *ssl_ctx)
{
	char err[512];
	SSL_CTX *scratch;

	tls_live = ssl_ctx;
	/* Older protocols are refused in the handshake, whatever the system's OpenSSL allows. */
	if (SSL_CTX_set_min_proto_version(tls_live, TLS1_2_VERSION) != 1) {
		log_error("tls: cannot require TLS 1.2 or later");
		return -1;
	}
	if ((scratch = tls_read(err, sizeof err)) == NULL) {
		log_error("tls: %s", err);
		return -1;
	}
	if (tls_install(tls_live, scratch, err, sizeof err) != 0) {
		log_error("tls: %s", err);
		SSL_CTX_free(scratch);
		return -1;
	}
	tls_log_cert("serving", tls_live);
	SSL_CTX_free(scratch);
	return 0;
}

void
tls_reload(void)
{
	char err[512];
	SSL_CTX *scratch;

	if (!tls_enabled() || tls_live == NULL) {
		log_info("SIGHUP: nothing to reload (no --tls-cert)");
		return;
	}
	if ((scratch = tls_read(err, sizeof err)) == NULL ||
	    tls_install(tls_live, scratch, err, sizeof err) != 0) {
		log_error("tls: reload failed, the old certificate stays: %s", err);
		systemd_status("serving; the last certificate reload failed: %s", err);
		SSL_CTX_free(scratch);
		return;
	}
	tls_log_cert("reloaded", tls_live);
	SSL_CTX_free(scratch);
}
