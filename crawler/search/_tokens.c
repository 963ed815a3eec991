/*
 * crawler.search._tokens: document_buffer() after fold(), in one C pass
 * (crawler/search/tokens.py keeps the Python version as the fallback and the reference).
 *
 *     document_buffer(folded) -> bytes
 *
 * ``folded`` is ``fold(text)``. Every run of characters that are not letters or digits
 * (``str.isalnum``: what the regex ``[\W_]+`` matches) is one separator, written NUL. For
 * each position i of that sequence c (padded with two NULs), the buffer holds, as UTF-8:
 *
 *   - c[i] is a separator:       " "
 *   - otherwise:                 c[i] c[i+1] " "   (c[i+1] may be the NUL separator)
 *     followed, when c[i+1] and c[i+2] are both letters or digits, by
 *                                MARK c[i] c[i+1] c[i+2] "\x01"
 *
 * MARK being U+FDD0 (tokens.TRIGRAM_MARK). This is, byte for byte, what the strided
 * layout and the two regex cuts of tokens._document_buffer_py give.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static inline char *
put_utf8(char *o, uint32_t c)
{
    if (c < 0x80) {
        *o++ = (char)c;
    } else if (c < 0x800) {
        *o++ = (char)(0xC0 | (c >> 6));
        *o++ = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *o++ = (char)(0xE0 | (c >> 12));
        *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *o++ = (char)(0x80 | (c & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (c >> 18));
        *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *o++ = (char)(0x80 | (c & 0x3F));
    }
    return o;
}

static PyObject *
py_document_buffer(PyObject *self, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "folded must be str, not %.100s", Py_TYPE(arg)->tp_name);
        return NULL;
    }
    Py_ssize_t len = PyUnicode_GET_LENGTH(arg);
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);

    /* The sequence c: letters and digits, every other run as one 0; plus two 0s. */
    uint32_t *c = PyMem_Malloc(sizeof(uint32_t) * (size_t)(len + 2));
    if (c == NULL)
        return PyErr_NoMemory();
    Py_ssize_t n = 0;
    int in_sep = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISALNUM(ch)) { /* never a surrogate: UTF-8 below stays valid */
            c[n++] = (uint32_t)ch;
            in_sep = 0;
        } else if (!in_sep) {
            c[n++] = 0;
            in_sep = 1;
        }
    }
    if (n == 0) {
        PyMem_Free(c);
        return PyBytes_FromStringAndSize(NULL, 0);
    }
    c[n] = c[n + 1] = 0;

    /* At most 2 * 4 + 1 + 3 + 3 * 4 + 1 = 25 bytes per position. */
    PyObject *out = PyBytes_FromStringAndSize(NULL, 25 * n);
    if (out == NULL) {
        PyMem_Free(c);
        return NULL;
    }
    char *start = PyBytes_AS_STRING(out), *o = start;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (c[i] == 0) {
            *o++ = ' ';
            continue;
        }
        o = put_utf8(o, c[i]);
        o = put_utf8(o, c[i + 1]);
        *o++ = ' ';
        if (c[i + 1] && c[i + 2]) {
            *o++ = (char)0xEF; /* U+FDD0 */
            *o++ = (char)0xB7;
            *o++ = (char)0x90;
            o = put_utf8(o, c[i]);
            o = put_utf8(o, c[i + 1]);
            o = put_utf8(o, c[i + 2]);
            *o++ = '\x01';
        }
    }
    PyMem_Free(c);
    if (_PyBytes_Resize(&out, o - start) < 0)
        return NULL;
    return out;
}

static PyMethodDef methods[] = {
    {"document_buffer", py_document_buffer, METH_O,
     "document_buffer(folded) -> the FTS5 token buffer of fold(text) (tokens.document_buffer)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "crawler.search._tokens",
    "tokens.document_buffer after fold(), in C (see crawler/search/tokens.py).",
    -1,
    methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__tokens(void)
{
    return PyModule_Create(&module);
}
