/*
 * crawler._rank: newsarchive_bm25(), an FTS5 auxiliary function that is FTS5's own bm25()
 * except that each phrase's IDF is an argument instead of a scan of the phrase's doclist.
 *
 *     newsarchive_bm25(articles_fts, w_title, w_body, idf_0, idf_1, ...)
 *     newsarchive_bm25(articles_fts, w_title, w_body, idfs_blob)
 *
 * One IDF per phrase of the MATCH expression, in the order the phrases appear in it
 * (negated phrases too): one argument each, or all of them packed in one blob of
 * native-endian doubles (Python: struct.pack("=%dd" % n, *idfs)). SQLite caps a function
 * at 127 arguments, so crawler/fts.py always passes the blob: a query of any length. With the IDFs FTS5 would compute, the result is bm25()'s to the
 * last bit: the same formula (k1 = 1.2, b = 0.75), the same sums in the same order.
 * crawler/fts.py computes the IDFs (exact counts, or estimates for frequent phrases) and
 * registers the function on each connection through the fts5_api, with ctypes.
 *
 * It also holds colocate(), the C callback through which the newsarchive tokenizer feeds
 * FTS5 a document's bigrams and colocated trigrams (see below).
 *
 * Built as an optional extension (setup.py): it needs only a C compiler and Python.h. It
 * does not include sqlite3.h or fts5.h and does not link against SQLite: the few SQLite
 * functions it calls are handed in by crawler/fts.py as addresses in the libsqlite3 that
 * Python's sqlite3 module uses (init()), so it always works with that same SQLite.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------
 * The FTS5 extension API, as declared in SQLite's ext/fts5/fts5.h (public domain: "The
 * author disclaims copyright to this source code"). Only the layout matters here; the
 * members up to xPhraseNext are the same in every FTS5 version (iVersion >= 2).
 * ------------------------------------------------------------------------------------- */
typedef long long sqlite3_int64;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
typedef struct Fts5Context Fts5Context;
typedef struct Fts5ExtensionApi Fts5ExtensionApi;
typedef struct Fts5PhraseIter Fts5PhraseIter;

struct Fts5PhraseIter {
    const unsigned char *a;
    const unsigned char *b;
};

struct Fts5ExtensionApi {
    int iVersion;
    void *(*xUserData)(Fts5Context *);
    int (*xColumnCount)(Fts5Context *);
    int (*xRowCount)(Fts5Context *, sqlite3_int64 *pnRow);
    int (*xColumnTotalSize)(Fts5Context *, int iCol, sqlite3_int64 *pnToken);
    int (*xTokenize)(Fts5Context *, const char *pText, int nText, void *pCtx,
                     int (*xToken)(void *, int, const char *, int, int, int));
    int (*xPhraseCount)(Fts5Context *);
    int (*xPhraseSize)(Fts5Context *, int iPhrase);
    int (*xInstCount)(Fts5Context *, int *pnInst);
    int (*xInst)(Fts5Context *, int iIdx, int *piPhrase, int *piCol, int *piOff);
    sqlite3_int64 (*xRowid)(Fts5Context *);
    int (*xColumnText)(Fts5Context *, int iCol, const char **pz, int *pn);
    int (*xColumnSize)(Fts5Context *, int iCol, int *pnToken);
    int (*xQueryPhrase)(Fts5Context *, int iPhrase, void *pUserData,
                        int (*)(const Fts5ExtensionApi *, Fts5Context *, void *));
    int (*xSetAuxdata)(Fts5Context *, void *pAux, void (*xDelete)(void *));
    void *(*xGetAuxdata)(Fts5Context *, int bClear);
    int (*xPhraseFirst)(Fts5Context *, int iPhrase, Fts5PhraseIter *, int *, int *);
    void (*xPhraseNext)(Fts5Context *, Fts5PhraseIter *, int *piCol, int *piOff);
    /* later members are not used */
};

#define SQLITE_OK 0
#define SQLITE_BLOB 4

/* The SQLite functions used, from Python's own libsqlite3 (set by init()). */
static void (*result_double)(sqlite3_context *, double);
static void (*result_error)(sqlite3_context *, const char *, int);
static double (*value_double)(sqlite3_value *);
static int (*value_type)(sqlite3_value *);
static const void *(*value_blob)(sqlite3_value *);
static int (*value_bytes)(sqlite3_value *);

/* ---------------------------------------------------------------------------------------
 * newsarchive_bm25()
 * ------------------------------------------------------------------------------------- */

#define N_WEIGHTS 2 /* title, body: the columns of articles_fts */

/* Computed by the first call of a query, kept as its auxiliary data (like bm25's). */
typedef struct {
    int n_phrase;
    double avgdl; /* average tokens per row, all columns */
} QueryData;

static void
bm25_error(sqlite3_context *ctx, const char *msg)
{
    result_error(ctx, msg, -1);
}

static void
newsarchive_bm25(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int n_val,
                 sqlite3_value **ap_val)
{
    const double k1 = 1.2;
    const double b = 0.75;
    QueryData *data = (QueryData *)api->xGetAuxdata(fts, 0);
    double w[N_WEIGHTS];
    double score = 0.0;
    double D;
    int n_tok = 0;
    int i;
    const unsigned char *packed = NULL; /* the IDFs as one blob, or NULL: one argument each */

    if (data == NULL) {
        sqlite3_int64 n_row = 0, n_token = 0;
        data = (QueryData *)malloc(sizeof(QueryData));
        if (data == NULL) {
            bm25_error(ctx, "newsarchive_bm25: out of memory");
            return;
        }
        data->n_phrase = api->xPhraseCount(fts);
        if (api->xRowCount(fts, &n_row) != SQLITE_OK ||
            api->xColumnTotalSize(fts, -1, &n_token) != SQLITE_OK) {
            free(data);
            bm25_error(ctx, "newsarchive_bm25: cannot read the index totals");
            return;
        }
        data->avgdl = (double)n_token / (double)n_row;
        if (api->xSetAuxdata(fts, data, free) != SQLITE_OK) {
            bm25_error(ctx, "newsarchive_bm25: out of memory");
            return;
        }
    }
    if (n_val == N_WEIGHTS + 1 && value_type(ap_val[N_WEIGHTS]) == SQLITE_BLOB) {
        packed = (const unsigned char *)value_blob(ap_val[N_WEIGHTS]);
        if (value_bytes(ap_val[N_WEIGHTS]) != (int)sizeof(double) * data->n_phrase ||
            (packed == NULL && data->n_phrase > 0)) {
            bm25_error(ctx, "newsarchive_bm25: the IDF blob must hold one 8-byte double per "
                            "phrase of the MATCH expression");
            return;
        }
    } else if (n_val != N_WEIGHTS + data->n_phrase) {
        bm25_error(ctx, "newsarchive_bm25: expects the title and body weights and one IDF "
                        "per phrase of the MATCH expression (or all of them in one blob)");
        return;
    }
    for (i = 0; i < N_WEIGHTS; i++) {
        w[i] = value_double(ap_val[i]);
    }
    if (api->xColumnSize(fts, -1, &n_tok) != SQLITE_OK) {
        bm25_error(ctx, "newsarchive_bm25: cannot read the row's size");
        return;
    }
    D = (double)n_tok;
    for (i = 0; i < data->n_phrase; i++) {
        /* f: the phrase's instances in this row, each counted with its column's weight.
         * Accumulated in (column, offset) order, as bm25() does through xInst. */
        Fts5PhraseIter iter;
        int col, off;
        double f = 0.0;
        if (api->xPhraseFirst(fts, i, &iter, &col, &off) != SQLITE_OK) {
            bm25_error(ctx, "newsarchive_bm25: cannot read a phrase's positions");
            return;
        }
        for (; col >= 0; api->xPhraseNext(fts, &iter, &col, &off)) {
            f += (col < N_WEIGHTS) ? w[col] : 1.0;
        }
        double idf;
        if (packed != NULL) {
            memcpy(&idf, packed + (size_t)i * sizeof(double), sizeof(double));
        } else {
            idf = value_double(ap_val[N_WEIGHTS + i]);
        }
        score += idf * ((f * (k1 + 1.0)) / (f + k1 * (1 - b + b * D / data->avgdl)));
    }
    result_double(ctx, -1.0 * score);
}

/* ---------------------------------------------------------------------------------------
 * Which connections have the function: the fts5_api pointer of each one is the function's
 * user data, and FTS5 calls destroy() with it when the connection closes. So a new
 * connection whose fts5_api happens to reuse a closed one's address is not mistaken for
 * one that already has the function, and closing never calls into Python.
 * ------------------------------------------------------------------------------------- */
static PyThread_type_lock live_lock;
static void **live;
static Py_ssize_t n_live, cap_live;

static void
destroy(void *api)
{
    Py_ssize_t i;
    PyThread_acquire_lock(live_lock, WAIT_LOCK);
    for (i = 0; i < n_live; i++) {
        if (live[i] == api) {
            live[i] = live[--n_live];
            break;
        }
    }
    PyThread_release_lock(live_lock);
}

static int
is_live(void *api)
{
    Py_ssize_t i;
    int found = 0;
    PyThread_acquire_lock(live_lock, WAIT_LOCK);
    for (i = 0; i < n_live && !found; i++) {
        found = live[i] == api;
    }
    PyThread_release_lock(live_lock);
    return found;
}

/* ---------------------------------------------------------------------------------------
 * colocate(): SQLite's ascii tokenizer over a document buffer, with trigrams colocated
 *
 * crawler/fts.py builds each document as one buffer of tokens for SQLite's C "ascii"
 * tokenizer: every position's bigram (1-2 characters), then that position's trigram when
 * the segment has one, marked by a first character U+FDD0 (fts.TRIGRAM_MARK, UTF-8 EF B7
 * 90). ascii cannot mark a token as colocated, so its xToken callback goes through
 * coloc_token(), which flags every marked token FTS5_TOKEN_COLOCATED: it takes the
 * position of the bigram before it. The index then has one position per character,
 * holding a bigram and, where there is one, a trigram.
 * ------------------------------------------------------------------------------------- */

#define FTS5_TOKEN_COLOCATED 0x0001

typedef int (*XToken)(void *, int, const char *, int, int, int);
typedef int (*XTokenize)(void *, void *, int, const char *, int, XToken);

typedef struct {
    void *ctx;    /* FTS5's own context */
    XToken token; /* FTS5's own xToken */
} Coloc;

static int
coloc_token(void *p, int tflags, const char *tok, int n, int start, int end)
{
    Coloc *c = (Coloc *)p;
    const unsigned char *u = (const unsigned char *)tok;
    if (n > 3 && u[0] == 0xEF && u[1] == 0xB7 && u[2] == 0x90) { /* U+FDD0: a trigram */
        tflags |= FTS5_TOKEN_COLOCATED;
    }
    return c->token(c->ctx, tflags, tok, n, start, end);
}

/* colocate(ascii_xTokenize, tokenizer, ctx, flags, text, n, xToken): called from Python
 * (ctypes) inside newsarchive's own xTokenize, with FTS5's arguments passed through. */
static int
colocate(XTokenize ascii, void *tokenizer, void *ctx, int flags, const char *text, int n,
         XToken token)
{
    Coloc c;
    c.ctx = ctx;
    c.token = token;
    return ascii(tokenizer, &c, flags, text, n, coloc_token);
}

/* ---------------------------------------------------------------------------------------
 * Module functions
 * ------------------------------------------------------------------------------------- */

static PyObject *
py_init(PyObject *self, PyObject *args)
{
    unsigned long long rd, re, vd, vt, vb, vn;
    if (!PyArg_ParseTuple(args, "KKKKKK:init", &rd, &re, &vd, &vt, &vb, &vn)) {
        return NULL;
    }
    if (!rd || !re || !vd || !vt || !vb || !vn) {
        PyErr_SetString(PyExc_ValueError, "init: null function address");
        return NULL;
    }
    result_double = (void (*)(sqlite3_context *, double))(uintptr_t)rd;
    result_error = (void (*)(sqlite3_context *, const char *, int))(uintptr_t)re;
    value_double = (double (*)(sqlite3_value *))(uintptr_t)vd;
    value_type = (int (*)(sqlite3_value *))(uintptr_t)vt;
    value_blob = (const void *(*)(sqlite3_value *))(uintptr_t)vb;
    value_bytes = (int (*)(sqlite3_value *))(uintptr_t)vn;
    Py_RETURN_NONE;
}

static PyObject *
py_function(PyObject *self, PyObject *unused)
{
    if (!result_double) {
        PyErr_SetString(PyExc_RuntimeError, "call init() first");
        return NULL;
    }
    return PyLong_FromVoidPtr((void *)(uintptr_t)&newsarchive_bm25);
}

static PyObject *
py_colocate(PyObject *self, PyObject *unused)
{
    return PyLong_FromVoidPtr((void *)(uintptr_t)&colocate);
}

static PyObject *
py_destroy(PyObject *self, PyObject *unused)
{
    return PyLong_FromVoidPtr((void *)(uintptr_t)&destroy);
}

static PyObject *
py_registered(PyObject *self, PyObject *arg)
{
    void *api = PyLong_AsVoidPtr(arg);
    if (api == NULL && PyErr_Occurred()) {
        return NULL;
    }
    return PyBool_FromLong(is_live(api));
}

static PyObject *
py_add(PyObject *self, PyObject *arg)
{
    void *api = PyLong_AsVoidPtr(arg);
    if (api == NULL && PyErr_Occurred()) {
        return NULL;
    }
    if (is_live(api)) {
        Py_RETURN_NONE;
    }
    PyThread_acquire_lock(live_lock, WAIT_LOCK);
    if (n_live == cap_live) {
        Py_ssize_t cap = cap_live ? 2 * cap_live : 16;
        void **grown = (void **)realloc(live, (size_t)cap * sizeof(void *));
        if (grown == NULL) {
            PyThread_release_lock(live_lock);
            return PyErr_NoMemory();
        }
        live = grown;
        cap_live = cap;
    }
    live[n_live++] = api;
    PyThread_release_lock(live_lock);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"init", py_init, METH_VARARGS,
     "init(result_double, result_error, value_double, value_type, value_blob, value_bytes):\n"
     "addresses of sqlite3_result_double, sqlite3_result_error, sqlite3_value_double,\n"
     "sqlite3_value_type, sqlite3_value_blob and sqlite3_value_bytes in Python's own\n"
     "libsqlite3."},
    {"function", py_function, METH_NOARGS,
     "Address of newsarchive_bm25, an fts5_extension_function (for fts5_api.xCreateFunction)."},
    {"colocate", py_colocate, METH_NOARGS,
     "Address of colocate(ascii_xTokenize, tokenizer, ctx, flags, text, n, xToken): ascii's\n"
     "xTokenize with every token that starts with U+FDD0 flagged FTS5_TOKEN_COLOCATED."},
    {"destroy", py_destroy, METH_NOARGS,
     "Address of the xDestroy to register with it; its user data must be the fts5_api*."},
    {"registered", py_registered, METH_O,
     "registered(fts5_api): whether that connection has the function (and is open)."},
    {"add", py_add, METH_O,
     "add(fts5_api): note that the function was registered with that fts5_api as user data."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "crawler._rank",
    "newsarchive_bm25: FTS5's bm25 with the IDFs given (see crawler/fts.py).",
    -1,
    methods,
};

PyMODINIT_FUNC
PyInit__rank(void)
{
    if (live_lock == NULL) {
        live_lock = PyThread_allocate_lock();
        if (live_lock == NULL) {
            return PyErr_NoMemory();
        }
    }
    return PyModule_Create(&module);
}
