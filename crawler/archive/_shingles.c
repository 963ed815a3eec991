/*
 * crawler.archive._shingles: the duplicate check's shingle hashing in one C call
 * (crawler/archive/dedupe.py keeps the Python version as the fallback and the reference).
 *
 *     shingles(text, shingle, min_chars) -> set[int]
 *     fingerprint(text, shingle, min_chars, sketch_size) -> (sketch, packed) | None
 *     bmp_map(table) -> bytes;  translate(text, bmp_map, table) -> str   (see below)
 *
 * ``text`` is lower-cased NFKC text (dedupe.normalise does that part with str methods);
 * only its letters and digits count (``str.isalnum``, what the regex ``[^\W_]`` keeps),
 * so a normalised text gives the same result. Each window of ``shingle`` consecutive
 * characters is hashed as CRC-32 (zlib's) of its UTF-32-LE bytes, as dedupe.shingles does.
 *
 * The hashes are added to a Python set in window order, as ``set(map(zlib.crc32, ...))``
 * does, so the set is built the same way and iterates in the same order: ``packed`` (the
 * set's hashes as native 32-bit unsigned integers, in set order) is byte for byte what
 * ``array("I", the_set).tobytes()`` gives. ``sketch`` is a tuple of the ``sketch_size``
 * smallest hashes, ascending. When fewer than ``min_chars`` letters and digits remain,
 * ``shingles`` returns an empty set and ``fingerprint`` None.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* CRC-32 tables for slicing by 4: crc_table[0] is zlib's byte table. */
static uint32_t crc_table[4][256];

static void
crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 4; t++)
            crc_table[t][i] = crc_table[0][crc_table[t - 1][i] & 0xFF] ^ (crc_table[t - 1][i] >> 8);
}

/* zlib.crc32 of the UTF-32-LE bytes of n code points (one 4-byte word each). */
static uint32_t
crc_points(const uint32_t *p, Py_ssize_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < n; i++) {
        c ^= p[i];
        c = crc_table[3][c & 0xFF] ^ crc_table[2][(c >> 8) & 0xFF]
            ^ crc_table[1][(c >> 16) & 0xFF] ^ crc_table[0][c >> 24];
    }
    return c ^ 0xFFFFFFFFu;
}

/* The letters and digits of ``text`` as code points (PyMem_Free the result). */
static uint32_t *
word_points(PyObject *text, Py_ssize_t *count)
{
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    uint32_t *points = PyMem_Malloc(sizeof(uint32_t) * (size_t)(len ? len : 1));
    if (points == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISALNUM(ch))
            points[n++] = (uint32_t)ch;
    }
    *count = n;
    return points;
}

/* A new set of the shingle hashes of points[0:n] (empty when n < shingle). */
static PyObject *
shingle_set(const uint32_t *points, Py_ssize_t n, Py_ssize_t shingle)
{
    PyObject *found = PySet_New(NULL);
    if (found == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i + shingle <= n; i++) {
        PyObject *h = PyLong_FromUnsignedLong(crc_points(points + i, shingle));
        if (h == NULL || PySet_Add(found, h) < 0) {
            Py_XDECREF(h);
            Py_DECREF(found);
            return NULL;
        }
        Py_DECREF(h);
    }
    return found;
}

static int
parse_text(PyObject *text, Py_ssize_t shingle)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "text must be str, not %.100s", Py_TYPE(text)->tp_name);
        return -1;
    }
    if (shingle < 1) {
        PyErr_SetString(PyExc_ValueError, "shingle must be at least 1");
        return -1;
    }
    return 0;
}

static PyObject *
py_shingles(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_ssize_t shingle, min_chars;
    if (!PyArg_ParseTuple(args, "Unn:shingles", &text, &shingle, &min_chars)
        || parse_text(text, shingle) < 0)
        return NULL;
    Py_ssize_t n;
    uint32_t *points = word_points(text, &n);
    if (points == NULL)
        return NULL;
    PyObject *found = shingle_set(points, n < min_chars ? 0 : n, shingle);
    PyMem_Free(points);
    return found;
}

static PyObject *
py_fingerprint(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_ssize_t shingle, min_chars, sketch_size;
    if (!PyArg_ParseTuple(args, "Unnn:fingerprint", &text, &shingle, &min_chars, &sketch_size)
        || parse_text(text, shingle) < 0)
        return NULL;
    if (sketch_size < 0) {
        PyErr_SetString(PyExc_ValueError, "sketch_size must not be negative");
        return NULL;
    }
    Py_ssize_t n;
    uint32_t *points = word_points(text, &n);
    if (points == NULL)
        return NULL;
    if (n < min_chars || n < shingle) {
        PyMem_Free(points);
        Py_RETURN_NONE;
    }
    PyObject *found = shingle_set(points, n, shingle);
    PyMem_Free(points);
    if (found == NULL)
        return NULL;
    Py_ssize_t size = PySet_GET_SIZE(found);
    PyObject *packed = PyBytes_FromStringAndSize(NULL, size * (Py_ssize_t)sizeof(uint32_t));
    if (packed == NULL) {
        Py_DECREF(found);
        return NULL;
    }
    uint32_t *out = (uint32_t *)PyBytes_AS_STRING(packed);
    PyObject *it = PyObject_GetIter(found);
    if (it == NULL)
        goto error;
    Py_ssize_t i = 0;
    PyObject *h;
    while ((h = PyIter_Next(it)) != NULL) {
        out[i++] = (uint32_t)PyLong_AsUnsignedLong(h);
        Py_DECREF(h);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        goto error;
    Py_DECREF(found);
    found = NULL;

    /* The smallest sketch_size hashes, ascending: one pass keeping them sorted. */
    Py_ssize_t k = 0;
    uint32_t *low = PyMem_Malloc(sizeof(uint32_t) * (size_t)(sketch_size ? sketch_size : 1));
    if (low == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    for (Py_ssize_t j = 0; j < size; j++) {
        uint32_t v = out[j];
        if (k == sketch_size && (k == 0 || v >= low[k - 1]))
            continue;
        Py_ssize_t at = k < sketch_size ? k++ : k - 1;
        while (at > 0 && low[at - 1] > v) {
            low[at] = low[at - 1];
            at--;
        }
        low[at] = v;
    }
    PyObject *sketch = PyTuple_New(k);
    if (sketch == NULL) {
        PyMem_Free(low);
        goto error;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *v = PyLong_FromUnsignedLong(low[j]);
        if (v == NULL) {
            PyMem_Free(low);
            Py_DECREF(sketch);
            goto error;
        }
        PyTuple_SET_ITEM(sketch, j, v);
    }
    PyMem_Free(low);
    PyObject *result = PyTuple_Pack(2, sketch, packed);
    Py_DECREF(sketch);
    Py_DECREF(packed);
    return result;

error:
    Py_XDECREF(found);
    Py_DECREF(packed);
    return NULL;
}

/* translate(text, bmp_map, table): text.translate(table) for a table of 65,536 strings
 * (crawler.search.chars.bmp_table), with bmp_map = bmp_map(table): each BMP character's
 * one-character replacement as a native 32-bit code point, or 0xFFFFFFFF where the
 * replacement is not one character (then the table's string is used). Characters past the
 * BMP are kept, as str.translate keeps a character its table raises IndexError for. The
 * result is the same string; reading a compact array instead of a list of string objects
 * misses the CPU cache far less often on a freshly parsed page. */
#define BMP 0x10000
#define NOT_ONE 0xFFFFFFFFu

static PyObject *
py_bmp_map(PyObject *self, PyObject *table)
{
    if (!PyList_Check(table) || PyList_GET_SIZE(table) != BMP) {
        PyErr_SetString(PyExc_TypeError, "table must be a list of 65536 strings");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, BMP * sizeof(uint32_t));
    if (out == NULL)
        return NULL;
    uint32_t *map = (uint32_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < BMP; i++) {
        PyObject *s = PyList_GET_ITEM(table, i);
        if (!PyUnicode_Check(s)) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "table must be a list of 65536 strings");
            return NULL;
        }
        map[i] = PyUnicode_GET_LENGTH(s) == 1 ? (uint32_t)PyUnicode_READ_CHAR(s, 0) : NOT_ONE;
    }
    return out;
}

static PyObject *
py_translate(PyObject *self, PyObject *args)
{
    PyObject *text, *table;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "Uy*O!:translate", &text, &view, &PyList_Type, &table))
        return NULL;
    PyObject *result = NULL;
    Py_UCS4 *buf = NULL;
    if (view.len != BMP * (Py_ssize_t)sizeof(uint32_t) || PyList_GET_SIZE(table) != BMP) {
        PyErr_SetString(PyExc_ValueError, "bmp_map and table must cover the 65536 BMP characters");
        goto done;
    }
    const uint32_t *map = (const uint32_t *)view.buf;
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t cap = len + 16, n = 0;
    buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)cap);
    if (buf == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        uint32_t v = ch < BMP ? map[ch] : ch;
        Py_ssize_t add = 1;
        PyObject *s = NULL;
        if (v == NOT_ONE) {
            s = PyList_GET_ITEM(table, ch);
            if (!PyUnicode_Check(s)) {
                PyErr_SetString(PyExc_TypeError, "table must be a list of strings");
                goto done;
            }
            add = PyUnicode_GET_LENGTH(s);
        }
        if (n + add > cap) {
            cap = 2 * (n + add);
            Py_UCS4 *more = PyMem_Realloc(buf, sizeof(Py_UCS4) * (size_t)cap);
            if (more == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            buf = more;
        }
        if (s == NULL) {
            buf[n++] = v;
        } else {
            for (Py_ssize_t j = 0; j < add; j++)
                buf[n++] = PyUnicode_READ_CHAR(s, j);
        }
    }
    result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n);
done:
    PyMem_Free(buf);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"bmp_map", py_bmp_map, METH_O,
     "bmp_map(table) -> the compact form of a 65536-string translate table, for translate()"},
    {"translate", py_translate, METH_VARARGS,
     "translate(text, bmp_map, table) -> text.translate(table), reading bmp_map"},
    {"shingles", py_shingles, METH_VARARGS,
     "shingles(text, shingle, min_chars) -> set of the CRC-32 hashes of the letter and digit windows"},
    {"fingerprint", py_fingerprint, METH_VARARGS,
     "fingerprint(text, shingle, min_chars, sketch_size) -> (sketch, packed) or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "crawler.archive._shingles",
    "The duplicate check's shingle hashing in C (see crawler/archive/dedupe.py).",
    -1,
    methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__shingles(void)
{
    if (sizeof(uint32_t) != 4)
        return NULL;
    crc_init();
    return PyModule_Create(&module);
}
