/* orders.c — `borderdesk orders list|show`. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void orders_help(void)
{
    printf("usage: borderdesk orders <subcommand>\n\n"
           "  list [--limit N] [--json]   orders, newest purchase first\n"
           "  show ID [--json]            one order by borderdesk id or marketplace order id\n");
}

static int orders_list(bd_cli *cli, int argc, char **argv)
{
    int json = 0;
    size_t limit = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v <= 0) return cli_usage("orders list", "--limit needs a positive number");
            limit = (size_t)v;
        } else {
            return cli_usage("orders list", "unexpected argument \"%s\"", argv[i]);
        }
    }
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    store_order_row *o;
    size_t n;
    bd_err err;
    if (store_orders_list(s, limit, &o, &n, &err)) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(arr, order_json(&o[i]));
        cli_print_json(arr);
    } else {
        printf("%-6s %-12s %-21s %-18s %-11s %12s %-4s %-10s %s\n", "ID", "SHOP", "ORDER", "BUYER",
               "STATUS", "TOTAL", "CUR", "BOUGHT", "TRACKING");
        for (size_t i = 0; i < n; i++) {
            char id[24], when[32];
            snprintf(id, sizeof id, "%lld", (long long)o[i].id);
            bd_time_format(o[i].purchased_at, when, sizeof when);
            when[10] = '\0';
            cli_cell(stdout, id, 6);
            putchar(' ');
            cli_cell(stdout, o[i].shop, 12);
            putchar(' ');
            cli_cell(stdout, o[i].external_id, 21);
            putchar(' ');
            cli_cell(stdout, o[i].buyer_name ? o[i].buyer_name : o[i].buyer_external_id, 18);
            putchar(' ');
            cli_cell(stdout, o[i].status, 11);
            printf(" %12s %-4s %-10s %s\n", o[i].total, o[i].currency, when,
                   o[i].tracking_number ? o[i].tracking_number : "-");
        }
        printf("%zu order%s\n", n, n == 1 ? "" : "s");
    }
    store_order_rows_free(o, n);
    return BD_EXIT_OK;
}

static int orders_show(bd_cli *cli, int argc, char **argv)
{
    int json = 0;
    const char *ref = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (!ref) ref = argv[i];
        else return cli_usage("orders show", "unexpected argument \"%s\"", argv[i]);
    }
    if (!ref) return cli_usage("orders show", "which order? give its id or marketplace order id");
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    store_order_row o;
    bd_err err;
    int rc = store_order_get(s, ref, &o, &err);
    if (rc < 0) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (rc == 0) return cli_fail(BD_EXIT_FAIL, "no order \"%s\"", ref);
    if (json) {
        cli_print_json(order_json(&o));
    } else {
        char a[32], b[32], c[32];
        bd_time_format(o.purchased_at, a, sizeof a);
        printf("Order %s (id %lld)  %s %s\n", o.external_id, (long long)o.id, o.shop, o.marketplace);
        printf("Buyer:     %s <%s>\n", o.buyer_name ? o.buyer_name : "-", o.buyer_external_id);
        printf("Status:    %s\nBought:    %s\nTotal:     %s %s\n", o.status, a, o.total, o.currency);
        for (size_t i = 0; i < o.n_items; i++)
            printf("Item:      %lld x %s%s%s%s%s\n", (long long)o.items[i].quantity,
                   o.items[i].title, o.items[i].sku ? "  sku " : "",
                   o.items[i].sku ? o.items[i].sku : "", o.items[i].price ? "  price " : "",
                   o.items[i].price ? o.items[i].price : "");
        if (o.carrier || o.tracking_number)
            printf("Shipment:  %s %s\n", o.carrier ? o.carrier : "", o.tracking_number ? o.tracking_number : "");
        if (o.shipped_at) {
            bd_time_format(o.shipped_at, b, sizeof b);
            printf("Shipped:   %s\n", b);
        }
        if (o.estimated_delivery) {
            bd_time_format(o.estimated_delivery, c, sizeof c);
            printf("Expected:  %s\n", c);
        }
        printf("Tickets:   %lld\n", (long long)o.ticket_count);
    }
    store_order_row_clear(&o);
    return BD_EXIT_OK;
}

int cmd_orders(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        orders_help();
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    if (strcmp(argv[1], "list") == 0) return orders_list(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0) return orders_show(cli, argc - 1, argv + 1);
    return cli_usage("orders", "unknown subcommand \"%s\"", argv[1]);
}
