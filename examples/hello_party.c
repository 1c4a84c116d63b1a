/*
 * A minimal host application: two parties in one process over in-process
 * channels, built against the installed library through pkg-config.
 */
#include <stdio.h>

#include <sirnn/sirnn.h>

int main(void)
{
    sirnn_config cfg = sirnn_config_default();
    sirnn_party *server, *client;
    sirnn_status st = sirnn_party_pair(&server, &client, &cfg);
    if (st != SIRNN_OK) {
        fprintf(stderr, "pair: %s (%s)\n", sirnn_strerror(st), sirnn_last_error());
        return 1;
    }
    sirnn_stats s;
    sirnn_party_stats(server, &s);
    printf("libsirnn %s on %s: setup (handshake and base OTs) sent %llu bytes\n", sirnn_version(), sirnn_isa_name(),
           (unsigned long long)s.bytes_sent);
    sirnn_party_free(client);
    sirnn_party_free(server);
    return 0;
}
