/*
 * Test-only TLS material, made at run time with OpenSSL (no private keys in
 * the repository): two CAs, a server and a client certificate from the
 * first, a server certificate from the second (the "wrong" one), and two
 * pre-shared keys. The server certificates name localhost and 127.0.0.1.
 */
#ifndef SIRNN_TESTS_TLS_FILES_H
#define SIRNN_TESTS_TLS_FILES_H

typedef struct test_tls_files {
    char dir[64];
    char ca[96], server_cert[96], server_key[96], client_cert[96], client_key[96];
    char other_ca[96], other_cert[96], other_key[96];
    char psk[96], other_psk[96];
} test_tls_files;

/* Make the files in a new temporary directory; 0 on success. */
int test_tls_files_make(test_tls_files *f);
/* Remove the files and the directory. */
void test_tls_files_remove(const test_tls_files *f);

#endif
