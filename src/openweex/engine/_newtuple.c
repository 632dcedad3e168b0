/*
 * openweex.engine._newtuple: build an instance of a tuple subclass (a NamedTuple event) from
 * its items in one step.
 *
 * make(cls, *items) returns the same object as tuple.__new__(cls, items): an instance of
 * cls holding exactly items, in order. tuple.__new__ needs the items packed in a tuple first
 * and then copies them out of it (behind an argument tuple and a slice of it); this takes
 * them straight from the call's argument vector and allocates only the result.
 *
 * The result is not tracked by the garbage collector when no item can lead back to it: every
 * item is an object the collector does not track (an int, a str, a bool, None), or an int
 * subclass such as an IntEnum member. The engine's events hold nothing else, and until the
 * read models have them (about 50 ms) they are most of the young generation: tracked, each
 * young collection walked them all (tens of thousands, 20-30 ms a collection under load),
 * for nothing, since they cannot be part of a reference cycle. CPython makes the same call
 * for a plain tuple of untracked items, at its first collection; it never does for a tuple
 * subclass. A tuple with any other item (a list, an instance) stays tracked.
 *
 * Built with the compiled engine; openweex.engine.tuples falls back to tuple.__new__ when
 * the extension is not there.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
newtuple_make(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs < 1 || !PyType_Check(args[0]) ||
        !PyType_IsSubtype((PyTypeObject *)args[0], &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "make() takes a tuple subclass, then the items");
        return NULL;
    }
    PyTypeObject *cls = (PyTypeObject *)args[0];
    Py_ssize_t n = nargs - 1;
    PyObject *obj = cls->tp_alloc(cls, n);
    if (obj == NULL) {
        return NULL;
    }
    int cyclic = 0; /* can an item lead back to the tuple? */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = args[i + 1];
        Py_INCREF(item);
        PyTuple_SET_ITEM(obj, i, item);
        if (!cyclic && PyObject_GC_IsTracked(item) && !PyLong_Check(item)) {
            cyclic = 1;
        }
    }
    if (!cyclic) {
        PyObject_GC_UnTrack(obj);
    }
    return obj;
}

/*
 * untrack(obj): leave obj to reference counting alone (no garbage-collector tracking). Only
 * for an object that cannot be part of a reference cycle: the book's orders, whose
 * attributes the compiled class holds to ints, strs and IntEnum members. A large book's
 * resting orders are most of what the older generations hold; tracked, every collection of
 * the middle generation walked them (0.5 s with a million of them).
 */
static PyObject *
newtuple_untrack(PyObject *module, PyObject *obj)
{
    (void)module;
    if (PyObject_IS_GC(obj)) { /* untracking an untracked object is allowed */
        PyObject_GC_UnTrack(obj);
    }
    Py_RETURN_NONE;
}

static PyMethodDef newtuple_methods[] = {
    {"make", (PyCFunction)(void (*)(void))newtuple_make, METH_FASTCALL,
     "make(cls, *items): tuple.__new__(cls, items) without the intermediate tuples."},
    {"untrack", (PyCFunction)newtuple_untrack, METH_O,
     "untrack(obj): stop the garbage collector tracking obj (it must not be in a cycle)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef newtuple_module = {
    PyModuleDef_HEAD_INIT,
    "openweex.engine._newtuple",
    "Build tuple-subclass instances from an argument vector.",
    0,
    newtuple_methods,
};

PyMODINIT_FUNC
PyInit__newtuple(void)
{
    return PyModule_Create(&newtuple_module);
}
