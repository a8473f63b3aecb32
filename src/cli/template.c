/* template.c — `borderdesk template render FILE --data DATA.json [--partials DIR]`: renders
 * one Mustache template to standard output, byte for byte (docs/templates.md). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "borderdesk/template.h"

#define TEMPLATE_MAX_BYTES ((size_t)16 << 20)

static void template_help(void)
{
    printf("usage: borderdesk template render FILE --data DATA.json [--partials DIR] [--report]\n"
           "\n"
           "Renders the Mustache template FILE with the JSON value in DATA.json (- reads standard\n"
           "input) and writes the result to standard output, byte for byte.\n\n"
           "  --data FILE      the context: any JSON value, usually an object\n"
           "  --partials DIR   where partials live: {{>x}} is DIR/x.mustache (without it every\n"
           "                   partial renders as nothing)\n"
           "  --report         list on stderr what rendered as nothing: unresolved names,\n"
           "                   missing fill.* facts (shown as [[name]]) and missing partials\n\n"
           "A template error is reported as FILE:LINE:COLUMN: message and bad JSON data as\n"
           "DATA.json:LINE:COLUMN: message; both exit with 3. Usage errors exit with 2.\n");
}

/* Line and column of byte offset off in text (both from 1). */
static void text_position(const char *text, size_t len, size_t off, size_t *line, size_t *col)
{
    *line = 1, *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n')
            (*line)++, *col = 1;
        else if (((unsigned char)text[i] & 0xC0) != 0x80)
            (*col)++;
    }
}

/* Reads and parses the context; prints the error and returns NULL on failure (*code set). */
static cJSON *template_data(const char *path, int *code)
{
    bd_err err;
    size_t len;
    char *text = bd_read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path, 0, &len, &err);
    if (!text) {
        *code = cli_fail(BD_EXIT_FAIL, "%s", err.msg);
        return NULL;
    }
    cJSON *data = bd_json_parse(text, len, &err);
    if (!data) {
        /* bd_json_parse names the byte where parsing stopped ("... byte N"): give its line */
        const char *at = strstr(err.msg, "byte ");
        if (at) {
            size_t line, col;
            text_position(text, len, strtoull(at + 5, NULL, 10), &line, &col);
            fprintf(stderr, "%s:%zu:%zu: bad JSON data: %s\n", path, line, col, err.msg);
        } else {
            fprintf(stderr, "%s: bad JSON data: %s\n", path, err.msg);
        }
        *code = BD_EXIT_DATA;
    }
    free(text);
    return data;
}

static void template_report(const tpl_report *rep)
{
    for (size_t i = 0; i < rep->n_missing; i++)
        fprintf(stderr, "missing fill: %s (rendered as [[%s]])\n", rep->missing[i],
                rep->missing[i]);
    for (size_t i = 0; i < rep->n_unresolved; i++)
        fprintf(stderr, "unresolved: %s\n", rep->unresolved[i]);
    for (size_t i = 0; i < rep->n_partials; i++)
        fprintf(stderr, "missing partial: %s\n", rep->partials[i]);
}

static int template_render(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"partials", required_argument, NULL, 'p'},
                                         {"report", no_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    const char *data_path = NULL, *partials = NULL;
    int want_report = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data_path = optarg;
            break;
        case 'p':
            partials = optarg;
            break;
        case 'r':
            want_report = 1;
            break;
        default:
            return cli_usage("template", "unknown option");
        }
    }
    if (optind != argc - 1) return cli_usage("template", "give one template FILE");
    if (!data_path) return cli_usage("template", "--data DATA.json is required");
    const char *path = argv[optind];

    bd_err err;
    size_t len;
    char *text = bd_read_file(path, TEMPLATE_MAX_BYTES, &len, &err);
    if (!text) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    int code = BD_EXIT_OK;
    cJSON *data = template_data(data_path, &code);
    if (!data) {
        free(text);
        return code;
    }
    tpl_report rep = {0};
    tpl_render_opts ro = {.partials = partials ? tpl_partials_dir : NULL,
                          .partials_ud = (void *)partials,
                          .fill_markers = 1,
                          .report = &rep};
    bd_buf out = BD_BUF_INIT;
    if (tpl_render_text(text, len, path, data, &ro, &out, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        code = BD_EXIT_DATA;
    } else {
        if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
            code = cli_fail(BD_EXIT_FAIL, "cannot write the output");
        if (want_report) template_report(&rep);
    }
    tpl_report_clear(&rep);
    bd_buf_free(&out);
    cJSON_Delete(data);
    free(text);
    return code;
}

int cmd_template(bd_cli *cli, int argc, char **argv)
{
    (void)cli;
    if (argc < 2) return cli_usage("template", "say what to do: render");
    if (strcmp(argv[1], "render") == 0) {
        if (cli_wants_help(argc - 1, argv + 1)) {
            template_help();
            return BD_EXIT_OK;
        }
        return template_render(argc - 1, argv + 1);
    }
    if (cli_wants_help(argc, argv)) {
        template_help();
        return BD_EXIT_OK;
    }
    return cli_usage("template", "unknown subcommand \"%s\" (render)", argv[1]);
}
