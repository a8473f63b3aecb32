/* serve.c — `borderdesk serve [--listen ADDR:PORT]`: runs the REST API and the scheduler
 * until SIGTERM or SIGINT, then stops gracefully. */
#include "cli.h"

#include "borderdesk/server.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define SERVE_GRACE_SECONDS 20

static void serve_help(void)
{
    printf("usage: borderdesk serve [--listen ADDR:PORT] [--threads N] [--routes]\n\n"
           "Runs the REST API under /api/v1 (default 127.0.0.1:8080; port 0 picks a free one),\n"
           "the web UI at / and the background scheduler until SIGTERM or SIGINT; in-flight\n"
           "requests finish first. One JSON access-log line per request goes to stderr. The\n"
           "configuration's \"server\" object holds the other settings (see docs/api.md).\n\n"
           "  --routes   print the route table and exit\n");
}

int cmd_serve(bd_cli *cli, int argc, char **argv)
{
    const char *listen = NULL;
    long threads = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            serve_help();
            return BD_EXIT_OK;
        }
        if (strcmp(argv[i], "--routes") == 0) {
            srv_routes_print(stdout);
            return BD_EXIT_OK;
        }
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            char *end;
            threads = strtol(argv[++i], &end, 10);
            if (*end || threads < 1 || threads > 256)
                return cli_usage("serve", "--threads wants a number from 1 to 256");
        } else
            return cli_usage("serve", "unexpected argument \"%s\"", argv[i]);
    }
    bd_config *cfg = cli_config(cli);
    if (!cfg) return BD_EXIT_FAIL;
    srv_options o;
    srv_options_defaults(&o);
    bd_err err;
    if (srv_options_config(&o, cfg, &err)) {
        srv_options_clear(&o);
        return cli_fail(BD_EXIT_FAIL, "configuration: %s", err.msg);
    }
    if (listen && srv_options_listen(&o, listen, &err)) {
        srv_options_clear(&o);
        return cli_usage("serve", "%s", err.msg);
    }
    if (threads) o.threads = (unsigned)threads;
    o.db_path = cli_db_path(cli);
    o.sla = cli->sla;
    o.config = cfg;

    /* The workers inherit this mask: only the main thread takes the stop signals. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    srv_server *srv;
    if (srv_start(&o, &srv, &err)) {
        srv_options_clear(&o);
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    }
    printf("borderdesk serve: listening on http://%s%s%s:%u (database %s, %u threads)\n",
           strchr(o.listen_addr, ':') ? "[" : "", o.listen_addr,
           strchr(o.listen_addr, ':') ? "]" : "", srv_port(srv), o.db_path, o.threads);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    printf("borderdesk serve: %s received, finishing in-flight requests\n",
           sig == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(stdout);
    srv_stop(srv, SERVE_GRACE_SECONDS);
    srv_options_clear(&o);
    printf("borderdesk serve: stopped\n");
    return BD_EXIT_OK;
}
