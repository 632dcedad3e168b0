/*
 * openweex.engine._newtuple: build an instance of a tuple subclass (a NamedTuple event) from
 * its items in one step.
 *
 * make(cls, *items) returns the same object as tuple.__new__(cls, items): an instance of
 * cls holding exactly items, in order. tuple.__new__ needs the items packed in a tuple first
 * and then copies them out of it (behind an argument tuple and a slice of it); this takes
 * them straight from the call's argument vector and allocates only the result.
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
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = args[i + 1];
        Py_INCREF(item);
        PyTuple_SET_ITEM(obj, i, item);
    }
    return obj;
}

static PyMethodDef newtuple_methods[] = {
    {"make", (PyCFunction)(void (*)(void))newtuple_make, METH_FASTCALL,
     "make(cls, *items): tuple.__new__(cls, items) without the intermediate tuples."},
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
