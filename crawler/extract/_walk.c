/*
 * crawler._walk: crawler.extract.maintext.walk() in C, the one pass over a parsed page
 * that yields its lines and its blocks' raw statistics. Same inputs, same outputs (the
 * Python version in maintext.py is the definition; tests/test_walk.py compares the two).
 *
 * It reads lxml's tree directly: libxml2 nodes through their (decades-stable) public
 * struct layout, and three functions of lxml's public C API (textOf, tailOf,
 * elementFactory) taken from lxml.etree.__pyx_capi__ at import. It needs no libxml2 or
 * lxml headers, so it builds with only a C compiler and Python.h, like crawler._rank.
 * At import it checks both layouts on a parsed test element and refuses to load (an
 * ImportError, so extraction uses the Python walk) if anything does not match.
 *
 * Everything that is a rule rather than bookkeeping stays in Python and is passed in:
 * the block tag set, the boilerplate test, the whitespace collapse of a line, the date
 * stamp pattern and the two result classes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* libxml2's xmlNode (include/libxml/tree.h, MIT licence): only the leading members that
 * are read here; their order has not changed since libxml2 2.0. */
typedef struct xnode xnode;
typedef struct xattr xattr;
struct xnode {
    void *_private;
    int type;              /* xmlElementType */
    const char *name;
    xnode *children;
    xnode *last;
    xnode *parent;
    xnode *next;
    xnode *prev;
    void *doc;
    void *ns;
    char *content;
    xattr *properties;
};
/* libxml2's xmlAttr, leading members. */
struct xattr {
    void *_private;
    int type;
    const char *name;
    xnode *children;
    xnode *last;
    xnode *parent;
    xattr *next;
};
#define X_ELEMENT 1
#define X_TEXT 3
#define X_CDATA 4
#define X_ENTITY_REF 5
#define X_PI 7
#define X_COMMENT 8

/* lxml's public _Element object (lxml.etree.h, struct LxmlElement). */
typedef struct {
    PyObject_HEAD
    PyObject *_doc;
    xnode *_c_node;
    PyObject *_tag;
} lxml_element;

static PyObject *(*text_of)(xnode *);
static PyObject *(*tail_of)(xnode *);
static PyObject *(*element_factory)(PyObject *, xnode *);
static PyTypeObject *element_base; /* lxml.etree._Element */

/* Nodes lxml's iterwalk() reports: elements, comments, processing instructions and
 * entity references (only elements are descended into). */
static int
is_walked(const xnode *n)
{
    return n->type == X_ELEMENT || n->type == X_COMMENT || n->type == X_PI ||
           n->type == X_ENTITY_REF;
}

/* ---------------------------------------------------------------------------------------
 * Text measures, the same as the Python expressions named in each comment.
 * ------------------------------------------------------------------------------------- */

/* len("".join(t.split())): characters that are not whitespace. */
static Py_ssize_t
nonspace_len(PyObject *t)
{
    Py_ssize_t i, n = PyUnicode_GET_LENGTH(t), count = 0;
    int kind = PyUnicode_KIND(t);
    const void *data = PyUnicode_DATA(t);
    for (i = 0; i < n; i++) {
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
            count++;
        }
    }
    return count;
}

/* len(t.strip()) */
static Py_ssize_t
stripped_len(PyObject *t)
{
    Py_ssize_t lo = 0, hi = PyUnicode_GET_LENGTH(t);
    int kind = PyUnicode_KIND(t);
    const void *data = PyUnicode_DATA(t);
    while (lo < hi && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, lo))) {
        lo++;
    }
    while (hi > lo && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, hi - 1))) {
        hi--;
    }
    return hi - lo;
}

/* maintext._punct(t): ，。！？； and the two-character ", " and ". " */
static Py_ssize_t
punct_count(PyObject *t)
{
    Py_ssize_t i, n = PyUnicode_GET_LENGTH(t), count = 0;
    int kind = PyUnicode_KIND(t);
    const void *data = PyUnicode_DATA(t);
    for (i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == 0xFF0C || c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF1B) {
            count++;
        } else if ((c == ',' || c == '.') && i + 1 < n &&
                   PyUnicode_READ(kind, data, i + 1) == ' ') {
            count++;
            i++;
        }
    }
    return count;
}

static int
has_colon(PyObject *t)
{
    return PyUnicode_FindChar(t, ':', 0, PyUnicode_GET_LENGTH(t), 1) >= 0;
}

/* Whether lxml's textOf()/tailOf() can find text starting at ``n`` (its _collectText()
 * starts with a text or CDATA node, XInclude markers skipped): most elements' first
 * child is an element, and then no string needs to be made. */
static int
may_have_text(const xnode *n)
{
    while (n != NULL && (n->type == 19 || n->type == 20)) { /* XML_XINCLUDE_START/END */
        n = n->next;
    }
    return n != NULL && (n->type == X_TEXT || n->type == X_CDATA);
}

/* Whether the element has an attribute named class or id (maintext._is_boilerplate looks
 * at nothing else, apart from the tag). */
static int
has_class_or_id(const xnode *n)
{
    for (const xattr *a = n->properties; a != NULL; a = a->next) {
        if (a->name && (strcmp(a->name, "class") == 0 || strcmp(a->name, "id") == 0)) {
            return 1;
        }
    }
    return 0;
}

/* The fast path of cleaning.collapse_ws_keep_gaps(), kept in step with it: strip
 * cleaning._WS_CHARS from both ends; if what is left has none of them except single
 * spaces, that is the result. Returns a new reference, or NULL with no error set when
 * the text needs the full (Python) function. */
static int
is_ws_char(Py_UCS4 c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' ||
           c == 0x00A0 || c == 0x3000 || c == 0x2002 || c == 0x2003 || c == 0x2009 ||
           c == 0x200B || c == 0xFEFF;
}

static PyObject *
collapse_fast(PyObject *t)
{
    Py_ssize_t lo = 0, hi = PyUnicode_GET_LENGTH(t), i;
    int kind = PyUnicode_KIND(t);
    const void *data = PyUnicode_DATA(t);
    while (lo < hi && is_ws_char(PyUnicode_READ(kind, data, lo))) {
        lo++;
    }
    while (hi > lo && is_ws_char(PyUnicode_READ(kind, data, hi - 1))) {
        hi--;
    }
    for (i = lo; i < hi; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == ' ') {
            if (i + 1 < hi && PyUnicode_READ(kind, data, i + 1) == ' ') {
                return NULL;
            }
        } else if (is_ws_char(c)) {
            return NULL;
        }
    }
    return PyUnicode_Substring(t, lo, hi);
}

/* ---------------------------------------------------------------------------------------
 * The walk
 * ------------------------------------------------------------------------------------- */

/* Tag names are interned in the document's dictionary, so a name pointer identifies a
 * tag: its Python string and what it is are looked up once per walk. */
#define TAG_SLOTS 256
typedef struct {
    const char *name;
    PyObject *tag; /* owned */
    int in_block;  /* in block_tags */
    int kind;      /* 1 br/hr, 2 a, 3 nav/aside/footer/form, 0 other */
} tag_info;

typedef struct {
    PyObject *stats;  /* the _Stats object (owned by the blocks list) */
    Py_ssize_t text, link, punct, stamps;
} block;

typedef struct {
    /* inputs */
    PyObject *doc, *block_tags, *stats_cls, *line_cls, *collapse, *is_bp, *stamp_findall;
    xnode *page_root;
    /* outputs */
    PyObject *blocks_list, *lines;
    /* state */
    block *blocks;
    Py_ssize_t n_blocks, cap_blocks;
    Py_ssize_t *stack; /* index into blocks of each open node's stats, -1 for None */
    Py_ssize_t depth, cap_stack;
    PyObject **owners; /* borrowed element objects (the blocks list or proxies keep them) */
    Py_ssize_t n_owners, cap_owners;
    PyObject *owner_refs; /* list keeping owner proxies alive */
    PyObject *buf;        /* list of str */
    tag_info tags[TAG_SLOTS];
    tag_info spare;       /* when the table is full (never with real HTML) */
    Py_ssize_t link_chars;
    int link_depth, collecting;
    long order;
} walker;

static int
grow(void **arr, Py_ssize_t *cap, Py_ssize_t need, size_t item)
{
    if (need <= *cap) {
        return 0;
    }
    Py_ssize_t c = *cap ? *cap : 64;
    while (c < need) {
        c *= 2;
    }
    void *p = PyMem_Realloc(*arr, (size_t)c * item);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *arr = p;
    *cap = c;
    return 0;
}

static int
is_tag(const char *name, const char *want)
{
    return name != NULL && strcmp(name, want) == 0;
}

/* The tag_info of a name; NULL with an exception set on error. */
static tag_info *
tag_of(walker *w, const char *name)
{
    size_t h = ((size_t)(uintptr_t)name >> 3) % TAG_SLOTS;
    tag_info *ti = NULL;
    for (int probe = 0; probe < TAG_SLOTS; probe++) {
        tag_info *slot = &w->tags[(h + (size_t)probe) % TAG_SLOTS];
        if (slot->tag != NULL && slot->name == name) {
            return slot;
        }
        if (slot->tag == NULL) {
            ti = slot;
            break;
        }
    }
    if (ti == NULL) {
        Py_CLEAR(w->spare.tag);
        ti = &w->spare;
    }
    PyObject *tag = PyUnicode_FromString(name ? name : "");
    if (tag == NULL) {
        return NULL;
    }
    int in_block = PySet_Contains(w->block_tags, tag);
    if (in_block < 0) {
        Py_DECREF(tag);
        return NULL;
    }
    ti->name = name;
    ti->tag = tag;
    ti->in_block = in_block;
    ti->kind = (is_tag(name, "br") || is_tag(name, "hr"))   ? 1
               : is_tag(name, "a")                         ? 2
               : (is_tag(name, "nav") || is_tag(name, "aside") || is_tag(name, "footer") ||
                  is_tag(name, "form"))                    ? 3
                                                           : 0;
    return ti;
}

static PyObject *
stats_of(walker *w, Py_ssize_t i)
{
    return i < 0 ? Py_None : w->blocks[i].stats;
}

/* blocks.append(_Stats(el, tag, parent, bp, order)); returns its index */
static Py_ssize_t
new_block(walker *w, PyObject *el, PyObject *tag, Py_ssize_t parent, PyObject *bp)
{
    PyObject *order = PyLong_FromLong(w->order);
    if (order == NULL) {
        return -2;
    }
    PyObject *st = PyObject_CallFunctionObjArgs(w->stats_cls, el, tag, stats_of(w, parent),
                                                bp, order, NULL);
    Py_DECREF(order);
    if (st == NULL) {
        return -2;
    }
    w->order++;
    if (PyList_Append(w->blocks_list, st) < 0) {
        Py_DECREF(st);
        return -2;
    }
    Py_DECREF(st); /* the list holds it */
    if (grow((void **)&w->blocks, &w->cap_blocks, w->n_blocks + 1, sizeof(block)) < 0) {
        return -2;
    }
    block *b = &w->blocks[w->n_blocks];
    b->stats = st;
    b->text = b->link = b->punct = b->stamps = 0;
    return w->n_blocks++;
}

/* The pending text becomes a line (if it is not blank) owned by the innermost open block. */
static int
flush(walker *w)
{
    if (PyList_GET_SIZE(w->buf) == 0) {
        return 0;
    }
    PyObject *empty = PyUnicode_New(0, 0);
    PyObject *raw = empty ? PyUnicode_Join(empty, w->buf) : NULL;
    Py_XDECREF(empty);
    if (raw == NULL || PyList_SetSlice(w->buf, 0, PyList_GET_SIZE(w->buf), NULL) < 0) {
        Py_XDECREF(raw);
        return -1;
    }
    int rc = 0;
    if (nonspace_len(raw) > 0) {
        PyObject *t = collapse_fast(raw);
        if (t == NULL && !PyErr_Occurred()) {
            t = PyObject_CallOneArg(w->collapse, raw);
        }
        if (t == NULL) {
            rc = -1;
        } else {
            int truthy = PyObject_IsTrue(t);
            if (truthy < 0) {
                rc = -1;
            } else if (truthy) {
                PyObject *lc = PyLong_FromSsize_t(w->link_chars);
                PyObject *owner = w->n_owners ? w->owners[w->n_owners - 1] : Py_None;
                PyObject *line =
                    lc ? PyObject_CallFunctionObjArgs(w->line_cls, t, lc, owner, NULL) : NULL;
                Py_XDECREF(lc);
                if (line == NULL || PyList_Append(w->lines, line) < 0) {
                    rc = -1;
                }
                Py_XDECREF(line);
            }
            Py_DECREF(t);
        }
    }
    Py_DECREF(raw);
    w->link_chars = 0;
    return rc;
}

/* The statistics of a text (an element's text or tail) that belongs to block ``b``. */
static int
count_text(walker *w, Py_ssize_t b, PyObject *t)
{
    Py_ssize_t n = nonspace_len(t);
    if (!n || b < 0) {
        return 0;
    }
    block *st = &w->blocks[b];
    st->text += n;
    if (w->link_depth) {
        st->link += n;
        return 0;
    }
    st->punct += punct_count(t);
    if (has_colon(t)) {
        PyObject *found = PyObject_CallOneArg(w->stamp_findall, t);
        if (found == NULL) {
            return -1;
        }
        Py_ssize_t k = PyObject_Length(found);
        Py_DECREF(found);
        if (k < 0) {
            return -1;
        }
        st->stamps += k;
    }
    return 0;
}

/* Collect ``t`` (an element's text or tail) into the current line. */
static int
collect(walker *w, PyObject *t)
{
    if (PyList_Append(w->buf, t) < 0) {
        return -1;
    }
    if (w->link_depth) {
        w->link_chars += stripped_len(t);
    }
    return 0;
}

static int
push_owner(walker *w, PyObject *el)
{
    if (grow((void **)&w->owners, &w->cap_owners, w->n_owners + 1, sizeof(PyObject *)) < 0) {
        return -1;
    }
    w->owners[w->n_owners++] = el;
    return 0;
}

static int
start(walker *w, xnode *n)
{
    Py_ssize_t pst = w->depth ? w->stack[w->depth - 1] : -1;
    if (grow((void **)&w->stack, &w->cap_stack, w->depth + 1, sizeof(Py_ssize_t)) < 0) {
        return -1;
    }
    if (n->type != X_ELEMENT) {
        /* Entities and the like: no text of their own, not scored; tails are lines. */
        w->stack[w->depth++] = pst;
        return 0;
    }
    if (n == w->page_root) {
        w->collecting = 1;
    }
    tag_info *ti = tag_of(w, n->name);
    if (ti == NULL) {
        return -1;
    }
    PyObject *tag = ti->tag; /* borrowed from the cache */
    int rc = -1;
    PyObject *el = NULL;
    Py_ssize_t st;
    if (ti->in_block) {
        el = element_factory(w->doc, n);
        if (el == NULL) {
            goto done;
        }
        if (ti->kind == 1) { /* br, hr */
            st = pst;
        } else {
            int truthy = 0;
            if (ti->kind == 3 || has_class_or_id(n)) {
                PyObject *bp = PyObject_CallFunctionObjArgs(w->is_bp, el, tag, NULL);
                if (bp == NULL) {
                    goto done;
                }
                truthy = PyObject_IsTrue(bp);
                Py_DECREF(bp);
                if (truthy < 0) {
                    goto done;
                }
            }
            st = new_block(w, el, tag, pst, truthy ? Py_True : Py_False);
            if (st == -2) {
                goto done;
            }
        }
        if (w->collecting) {
            if (flush(w) < 0 || PyList_Append(w->owner_refs, el) < 0 || push_owner(w, el) < 0) {
                goto done;
            }
        }
    } else {
        if (ti->kind == 2) { /* a */
            w->link_depth++;
        }
        st = pst;
    }
    if (st < 0) {
        if (el == NULL && (el = element_factory(w->doc, n)) == NULL) {
            goto done;
        }
        st = new_block(w, el, tag, -1, Py_False);
        if (st == -2) {
            goto done;
        }
    }
    w->stack[w->depth++] = st;
    if (may_have_text(n->children)) {
        PyObject *t = text_of(n);
        if (t == NULL) {
            goto done;
        }
        if (t != Py_None && PyUnicode_GET_LENGTH(t)) {
            if (count_text(w, st, t) < 0 || (w->collecting && collect(w, t) < 0)) {
                Py_DECREF(t);
                goto done;
            }
        }
        Py_DECREF(t);
    }
    rc = 0;
done:
    Py_XDECREF(el);
    return rc;
}

static int
end(walker *w, xnode *n)
{
    w->depth--;
    Py_ssize_t pst = w->depth ? w->stack[w->depth - 1] : -1;
    PyObject *t = NULL;
    if (may_have_text(n->next)) {
        t = tail_of(n);
        if (t == NULL) {
            return -1;
        }
    }
    int has_t = t != NULL && t != Py_None && PyUnicode_GET_LENGTH(t) > 0;
    int rc = -1;
    if (n->type == X_ELEMENT) {
        tag_info *ti = tag_of(w, n->name);
        if (ti == NULL) {
            goto done;
        }
        if (ti->in_block) {
            if (w->collecting) {
                if (flush(w) < 0) {
                    goto done;
                }
                if (w->n_owners) {
                    w->n_owners--;
                }
            }
        } else if (ti->kind == 2 && w->link_depth) {
            w->link_depth--;
        }
        if (has_t && pst >= 0 && count_text(w, pst, t) < 0) {
            goto done;
        }
    }
    if (n == w->page_root) {
        w->collecting = 0;
        rc = 0;
        goto done;
    }
    if (has_t && w->collecting && collect(w, t) < 0) {
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(t);
    return rc;
}

static int
run(walker *w, xnode *root)
{
    xnode *n = root;
    for (;;) {
        if (start(w, n) < 0) {
            return -1;
        }
        /* descend into the first walked child of an element */
        xnode *child = NULL;
        if (n->type == X_ELEMENT) {
            for (child = n->children; child && !is_walked(child); child = child->next) {
            }
        }
        if (child) {
            n = child;
            continue;
        }
        /* no children: end this node, then climb until a node has a next sibling */
        for (;;) {
            if (end(w, n) < 0) {
                return -1;
            }
            if (n == root) {
                return 0;
            }
            xnode *sib;
            for (sib = n->next; sib && !is_walked(sib); sib = sib->next) {
            }
            if (sib) {
                n = sib;
                break;
            }
            n = n->parent;
            if (n == NULL) {
                return 0;
            }
        }
    }
}

static int
set_count(PyObject *obj, PyObject *name, Py_ssize_t v)
{
    if (!v) {
        return 0; /* _Stats.__init__ set it to 0 */
    }
    PyObject *o = PyLong_FromSsize_t(v);
    if (o == NULL) {
        return -1;
    }
    int rc = PyObject_SetAttr(obj, name, o);
    Py_DECREF(o);
    return rc;
}

static PyObject *s_text, *s_link, *s_punct, *s_stamps;

static PyObject *
py_walk(PyObject *self, PyObject *args)
{
    PyObject *root, *page_root, *block_tags, *stats_cls, *line_cls, *collapse, *is_bp,
        *stamp_findall;
    if (!PyArg_ParseTuple(args, "OOOOOOOO:walk", &root, &page_root, &block_tags, &stats_cls,
                          &line_cls, &collapse, &is_bp, &stamp_findall)) {
        return NULL;
    }
    if (!PyObject_TypeCheck(root, element_base) ||
        !PyObject_TypeCheck(page_root, element_base)) {
        PyErr_SetString(PyExc_TypeError, "walk: root and page_root must be lxml elements");
        return NULL;
    }
    if (!PyAnySet_Check(block_tags)) {
        PyErr_SetString(PyExc_TypeError, "walk: block_tags must be a set or frozenset");
        return NULL;
    }
    walker w;
    memset(&w, 0, sizeof(w));
    w.doc = ((lxml_element *)root)->_doc;
    w.block_tags = block_tags;
    w.stats_cls = stats_cls;
    w.line_cls = line_cls;
    w.collapse = collapse;
    w.is_bp = is_bp;
    w.stamp_findall = stamp_findall;
    w.page_root = ((lxml_element *)page_root)->_c_node;
    xnode *c_root = ((lxml_element *)root)->_c_node;
    w.collecting = w.page_root == c_root;
    w.blocks_list = PyList_New(0);
    w.lines = PyList_New(0);
    w.buf = PyList_New(0);
    w.owner_refs = PyList_New(0);
    PyObject *result = NULL;
    if (!w.blocks_list || !w.lines || !w.buf || !w.owner_refs) {
        goto done;
    }
    if (run(&w, c_root) < 0 || flush(&w) < 0) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < w.n_blocks; i++) {
        block *b = &w.blocks[i];
        if (set_count(b->stats, s_text, b->text) < 0 || set_count(b->stats, s_link, b->link) < 0 ||
            set_count(b->stats, s_punct, b->punct) < 0 ||
            set_count(b->stats, s_stamps, b->stamps) < 0) {
            goto done;
        }
    }
    result = PyTuple_Pack(2, w.lines, w.blocks_list);
done:
    Py_XDECREF(w.blocks_list);
    Py_XDECREF(w.lines);
    Py_XDECREF(w.buf);
    Py_XDECREF(w.owner_refs);
    for (int i = 0; i < TAG_SLOTS; i++) {
        Py_XDECREF(w.tags[i].tag);
    }
    Py_XDECREF(w.spare.tag);
    PyMem_Free(w.blocks);
    PyMem_Free(w.stack);
    PyMem_Free(w.owners);
    return result;
}

/* has_control(text): whether text holds a character cleaning._CONTROL_RE removes (C0
 * controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF; U+E000-U+E003), i.e.
 * _CONTROL_RE.search(text) is not None, in one pass over the string's own storage. */
#define IS_CONTROL(c)                                                                   \
    (((c) < 0x20 && (c) != 0x09 && (c) != 0x0A && (c) != 0x0D) ||                       \
     ((c) >= 0xD800 && (c) <= 0xE003) || (c) == 0xFFFE || (c) == 0xFFFF)

static PyObject *
py_has_control(PyObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "text must be str, not %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const void *data = PyUnicode_DATA(text);
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND:
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS1 c = ((const Py_UCS1 *)data)[i];
            if (c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D)
                Py_RETURN_TRUE;
        }
        break;
    case PyUnicode_2BYTE_KIND:
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS2 c = ((const Py_UCS2 *)data)[i];
            if (IS_CONTROL(c))
                Py_RETURN_TRUE;
        }
        break;
    default:
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = ((const Py_UCS4 *)data)[i];
            if (IS_CONTROL(c))
                Py_RETURN_TRUE;
        }
    }
    Py_RETURN_FALSE;
}

static PyMethodDef methods[] = {
    {"has_control", py_has_control, METH_O,
     "has_control(text) -> whether cleaning._CONTROL_RE would remove anything from text"},
    {"walk", py_walk, METH_VARARGS,
     "walk(root, page_root, block_tags, Stats, Line, collapse, is_boilerplate, stamp_findall)\n"
     "-> (lines, blocks): crawler.extract.maintext.walk() in C."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "crawler._walk",
    "maintext.walk() in C (see crawler/extract/maintext.py, which falls back to Python).",
    -1,
    methods,
};

/* One function of lxml's C API, from its capsule in lxml.etree.__pyx_capi__; the capsule's
 * name is the function's C signature, checked against the one this file was written for. */
static void *
capi(PyObject *table, const char *name, const char *signature)
{
    PyObject *cap = PyDict_GetItemString(table, name);
    if (cap == NULL || !PyCapsule_CheckExact(cap)) {
        PyErr_Format(PyExc_ImportError, "lxml.etree has no C API function %s", name);
        return NULL;
    }
    const char *got = PyCapsule_GetName(cap);
    if (got == NULL || strcmp(got, signature) != 0) {
        PyErr_Format(PyExc_ImportError, "lxml.etree's %s has signature %s, expected %s", name,
                     got ? got : "(none)", signature);
        return NULL;
    }
    return PyCapsule_GetPointer(cap, got);
}

/* Parse <div id="d"><p title="t">x</p>y</div> with lxml and check what this file reads. */
static int
self_check(PyObject *etree)
{
    PyObject *el = PyObject_CallMethod(etree, "fromstring", "s",
                                       "<div id=\"d\"><p title=\"t\">x</p>y</div>");
    if (el == NULL) {
        return -1;
    }
    int ok = 0;
    if (PyObject_TypeCheck(el, element_base)) {
        xnode *div = ((lxml_element *)el)->_c_node;
        xnode *p = div ? div->children : NULL;
        if (div && div->type == X_ELEMENT && is_tag(div->name, "div") && p &&
            p->type == X_ELEMENT && is_tag(p->name, "p") && p->parent == div &&
            has_class_or_id(div) && !has_class_or_id(p) && p->properties &&
            is_tag(p->properties->name, "title") && may_have_text(p->children) &&
            may_have_text(p->next) && !may_have_text(div->children)) {
            PyObject *tail = tail_of(p);
            PyObject *text = text_of(p);
            ok = tail && text && PyUnicode_Check(tail) && PyUnicode_Check(text) &&
                 PyUnicode_CompareWithASCIIString(tail, "y") == 0 &&
                 PyUnicode_CompareWithASCIIString(text, "x") == 0;
            Py_XDECREF(tail);
            Py_XDECREF(text);
            PyObject *proxy = ok ? element_factory(((lxml_element *)el)->_doc, p) : NULL;
            ok = proxy != NULL && ((lxml_element *)proxy)->_c_node == p;
            Py_XDECREF(proxy);
        }
    }
    Py_DECREF(el);
    if (!ok) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ImportError,
                        "lxml's element layout is not the one crawler._walk was written for");
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC
PyInit__walk(void)
{
    PyObject *etree = PyImport_ImportModule("lxml.etree");
    if (etree == NULL) {
        return NULL;
    }
    PyObject *table = PyObject_GetAttrString(etree, "__pyx_capi__");
    PyObject *base = PyObject_GetAttrString(etree, "_Element");
    if (table == NULL || base == NULL || !PyDict_Check(table) || !PyType_Check(base)) {
        Py_XDECREF(table);
        Py_XDECREF(base);
        Py_DECREF(etree);
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ImportError, "lxml.etree has no usable C API");
        }
        return NULL;
    }
    element_base = (PyTypeObject *)base; /* kept for the life of the process */
    text_of = (PyObject * (*)(xnode *)) capi(table, "textOf", "PyObject *(xmlNode *)");
    tail_of = text_of ? (PyObject * (*)(xnode *)) capi(table, "tailOf", "PyObject *(xmlNode *)")
                      : NULL;
    element_factory =
        tail_of ? (PyObject * (*)(PyObject *, xnode *))
                      capi(table, "elementFactory",
                           "struct LxmlElement *(struct LxmlDocument *, xmlNode *)")
                : NULL;
    Py_DECREF(table);
    if (element_factory == NULL || self_check(etree) < 0) {
        Py_DECREF(etree);
        return NULL;
    }
    Py_DECREF(etree);
    s_text = PyUnicode_InternFromString("text");
    s_link = PyUnicode_InternFromString("link");
    s_punct = PyUnicode_InternFromString("punct");
    s_stamps = PyUnicode_InternFromString("stamps");
    if (!s_text || !s_link || !s_punct || !s_stamps) {
        return NULL;
    }
    return PyModule_Create(&module);
}
