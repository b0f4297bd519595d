/* SPDX-License-Identifier: Apache-2.0 */
/* Every size ceiling certa enforces, in one place (STYLE §6). */
#ifndef CERTA_LIMITS_H
#define CERTA_LIMITS_H

#define CERTA_MAX_CSR_DER	(64 * 1024)	/* a CSR file, PEM or DER */
#define CERTA_MAX_CERT_DER	(64 * 1024)
#define CERTA_MAX_INPUT_FILE	(64 * 1024)	/* CSR/cert/key/passphrase */
#define CERTA_MAX_PASSPHRASE	1024
#define CERTA_MAX_NAME		128		/* org/app names */
#define CERTA_MAX_DN		4096		/* a DN string */
#define CERTA_MAX_CRL		(512L * 1024 * 1024)
#define CERTA_MAX_JSON_DEPTH	32
#define CERTA_MAX_HTTP_BODY	(1024 * 1024)
#define CERTA_MAX_OCSP_REQ	(16 * 1024)

#endif
