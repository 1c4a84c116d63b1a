/*
 * The per-operation profile (sirnn_party_profile_start / _rows and the
 * scopes of net/party_internal.h): off by default (no rows, scopes record
 * nothing); on, each (layer, operation) row sums exactly the bytes and
 * flights of its scopes, rows are shared by name, and a restart clears them.
 */
#include "tests/harness.h"

#include <string.h>

#include "sirnn/sirnn.h"
#include "net/party_internal.h"

enum { N = 300, L = 32 };

typedef struct prof_side {
    sirnn_party *party;
    uint64_t x[N], out[N];
    int profile; /* start the profile first */
    int calls;   /* relu calls, in one scope each */
    sirnn_stats before, after;
} prof_side;

static int side_main(void *arg)
{
    prof_side *s = arg;
    if (s->profile && sirnn_party_profile_start(s->party) != SIRNN_OK)
        return 1;
    sirnn_party_stats(s->party, &s->before);
    sirnn_prof_layer(s->party, "layer A");
    for (int i = 0; i < s->calls; i++) {
        sirnn_status st;
        if (i == s->calls - 1)
            sirnn_prof_layer(s->party, "layer B");
        SIRNN_PROFILED(s->party, "relu", st, sirnn_relu(s->party, N, s->out, NULL, s->x, L));
        if (st != SIRNN_OK)
            return 2;
    }
    sirnn_party_stats(s->party, &s->after);
    return 0;
}

static void run(prof_side *s, int profile, int calls)
{
    for (int r = 0; r < 2; r++) {
        s[r].party = r == 0 ? test_srv : test_cli;
        s[r].profile = profile;
        s[r].calls = calls;
        for (size_t i = 0; i < N; i++)
            s[r].x[i] = ((uint64_t)i * UINT64_C(0x9e3779b97f4a7c15) + (uint64_t)r) & test_mask(32);
    }
    assert_int_equal(test_run2(side_main, &s[0], side_main, &s[1], NULL, NULL), 0);
}

static void test_off_by_default(void **state)
{
    (void)state;
    static prof_side s[2];
    run(s, 0, 1);
    for (int r = 0; r < 2; r++)
        assert_int_equal(sirnn_party_profile_rows(s[r].party, NULL, 0), 0);
}

static void test_rows_sum_scopes(void **state)
{
    (void)state;
    static prof_side s[2];
    run(s, 1, 3);
    for (int r = 0; r < 2; r++) {
        sirnn_profile_row rows[4];
        memset(rows, 0, sizeof rows);
        assert_int_equal(sirnn_party_profile_rows(s[r].party, rows, 4), 2);
        assert_string_equal(rows[0].layer, "layer A");
        assert_string_equal(rows[0].op, "relu");
        assert_string_equal(rows[1].layer, "layer B");
        assert_int_equal(rows[0].calls, 2);
        assert_int_equal(rows[1].calls, 1);
        /* Everything between the counters ran inside a scope. */
        assert_int_equal(rows[0].bytes_sent + rows[1].bytes_sent,
                         s[r].after.bytes_sent - s[r].before.bytes_sent);
        assert_int_equal(rows[0].bytes_received + rows[1].bytes_received,
                         s[r].after.bytes_received - s[r].before.bytes_received);
        assert_int_equal(rows[0].flights + rows[1].flights,
                         s[r].after.flights - s[r].before.flights);
        /* Each call costs the same: layer A holds exactly two of them. */
        assert_int_equal(rows[0].bytes_sent, 2 * rows[1].bytes_sent);
        assert_true(rows[1].bytes_sent > 0 && rows[1].flights > 0);
        assert_true(rows[0].seconds >= 0 && rows[1].seconds >= 0);
        /* Asking for fewer rows copies fewer, and still counts them all. */
        memset(rows, 0, sizeof rows);
        assert_int_equal(sirnn_party_profile_rows(s[r].party, rows, 1), 2);
        assert_null(rows[1].layer);
    }
    /* A restart clears the rows. */
    run(s, 1, 1);
    for (int r = 0; r < 2; r++) {
        sirnn_profile_row row;
        assert_int_equal(sirnn_party_profile_rows(s[r].party, &row, 1), 1);
        assert_int_equal(row.calls, 1);
        assert_string_equal(row.layer, "layer B");
    }
    assert_int_equal(sirnn_party_profile_start(NULL), SIRNN_ERR_ARG);
    assert_int_equal(sirnn_party_profile_rows(NULL, NULL, 0), 0);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_rows_sum_scopes),
    };
    return cmocka_run_group_tests(tests, test_pair_group_setup, test_pair_group_teardown);
}
