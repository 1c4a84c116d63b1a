/*
 * Test-only TLS material (see tests/tls_files.h).
 */
#include "tests/tls_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ex == NULL)
        return -1;
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok == 1 ? 0 : -1;
}

/* A certificate for key named cn, signed by (issuer, issuer_key), or
 * self-signed when issuer is NULL (a CA). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       long serial)
{
    X509 *x = X509_new();
    if (x == NULL)
        return NULL;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
    int rc = 0;
    if (issuer == NULL) {
        rc |= add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
        rc |= add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
        rc |= add_ext(x, x, NID_subject_key_identifier, "hash");
    } else {
        rc |= add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
        rc |= add_ext(x, issuer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
        rc |= add_ext(x, issuer, NID_authority_key_identifier, "keyid");
    }
    if (rc != 0 || X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) == 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int write_cert(const char *path, X509 *x)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int ok = PEM_write_X509(f, x);
    return fclose(f) == 0 && ok == 1 ? 0 : -1;
}

static int write_key(const char *path, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    return fclose(f) == 0 && ok == 1 ? 0 : -1;
}

static int write_psk(const char *path)
{
    unsigned char key[32];
    if (RAND_bytes(key, sizeof(key)) != 1)
        return -1;
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(key); i++)
        fprintf(f, "%02x", key[i]);
    fprintf(f, "\n");
    return fclose(f) == 0 ? 0 : -1;
}

int test_tls_files_make(test_tls_files *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/sirnn_tls_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
#define PATH(field, name) snprintf(f->field, sizeof(f->field), "%s/%s", f->dir, name)
    PATH(ca, "ca.pem");
    PATH(server_cert, "server.pem");
    PATH(server_key, "server.key");
    PATH(client_cert, "client.pem");
    PATH(client_key, "client.key");
    PATH(other_ca, "other_ca.pem");
    PATH(other_cert, "other_server.pem");
    PATH(other_key, "other_server.key");
    PATH(psk, "psk.hex");
    PATH(other_psk, "other_psk.hex");
#undef PATH
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *srv_key = EVP_EC_gen("P-256"),
             *cli_key = EVP_EC_gen("P-256"), *oca_key = EVP_EC_gen("P-256"),
             *osrv_key = EVP_EC_gen("P-256");
    X509 *ca = NULL, *srv = NULL, *cli = NULL, *oca = NULL, *osrv = NULL;
    int rc = -1;
    if (ca_key && srv_key && cli_key && oca_key && osrv_key) {
        ca = make_cert(ca_key, "sirnn test CA", NULL, NULL, 1);
        oca = make_cert(oca_key, "sirnn other test CA", NULL, NULL, 2);
        srv = ca ? make_cert(srv_key, "localhost", ca, ca_key, 3) : NULL;
        cli = ca ? make_cert(cli_key, "sirnn test client", ca, ca_key, 4) : NULL;
        osrv = oca ? make_cert(osrv_key, "localhost", oca, oca_key, 5) : NULL;
    }
    if (ca && srv && cli && oca && osrv && write_cert(f->ca, ca) == 0 &&
        write_cert(f->server_cert, srv) == 0 && write_key(f->server_key, srv_key) == 0 &&
        write_cert(f->client_cert, cli) == 0 && write_key(f->client_key, cli_key) == 0 &&
        write_cert(f->other_ca, oca) == 0 && write_cert(f->other_cert, osrv) == 0 &&
        write_key(f->other_key, osrv_key) == 0 && write_psk(f->psk) == 0 &&
        write_psk(f->other_psk) == 0)
        rc = 0;
    X509_free(ca);
    X509_free(srv);
    X509_free(cli);
    X509_free(oca);
    X509_free(osrv);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
    EVP_PKEY_free(cli_key);
    EVP_PKEY_free(oca_key);
    EVP_PKEY_free(osrv_key);
    return rc;
}

void test_tls_files_remove(const test_tls_files *f)
{
    const char *files[] = {f->ca,       f->server_cert, f->server_key, f->client_cert,
                           f->client_key, f->other_ca,  f->other_cert, f->other_key,
                           f->psk,      f->other_psk};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (files[i][0] != '\0')
            unlink(files[i]);
    if (f->dir[0] != '\0')
        rmdir(f->dir);
}
