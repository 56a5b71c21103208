/* Starting CPython with a bale's finder in place before the standard library is
 * needed. C, compiled against the headers of the Python the runner is built for,
 * because `PyConfig` changes layout from one version to the next and the limited
 * API (which the importer is built with) does not have it.
 *
 * Two phases (PEP 587): the core phase gives an interpreter with only built-in and
 * frozen modules; the bale's finder goes first on `sys.meta_path` then; the main
 * phase imports `encodings` and the rest, which the finder now serves. So nothing
 * of the standard library is read from disk, wherever Python is (or is not)
 * installed. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

/* One private part of CPython's initialization: `PyConfig._init_main`, which stops
 * `Py_InitializeFromConfig` after the core phase; called again with it set, the
 * function finishes the main phase. CPython 3.10 to 3.15 have it so (3.14 removed
 * `_Py_InitializeMain`, the other way to finish, and PEP 741's `PyInitConfig` has no
 * way to stop between the phases); for any other, the build stops here rather than
 * guessing. */
#if PY_VERSION_HEX < 0x030A0000 || PY_VERSION_HEX >= 0x03100000
#error "start.c relies on PyConfig._init_main as CPython 3.10 to 3.15 have it"
#endif

/* The importer (`bale`), linked into this program and registered as built in. */
extern PyObject *PyInit_bale(void);

/* Reports a failure to start, as `python` does, and gives the exit code. */
static int failed(PyStatus status, const char *program) {
    if (PyStatus_IsExit(status)) {
        return status.exitcode;
    }
    fprintf(stderr, "%s: cannot start Python: %s%s%s\n", program, status.func ? status.func : "",
            status.func ? ": " : "", status.err_msg ? status.err_msg : "unknown error");
    return 1;
}

/* Prints the pending Python exception after `what` and gives exit code 1. */
static int python_failed(const char *program, const char *what) {
    fprintf(stderr, "%s: %s:\n", program, what);
    PyErr_Print();
    return 1;
}

/* The finder over the bale's bytes, mounted at `mount`, first on sys.meta_path. */
static PyObject *install_finder(const unsigned char *bale, size_t len, const char *mount) {
    PyObject *module = PyImport_ImportModule("bale");
    if (module == NULL) return NULL;
    PyObject *view = PyMemoryView_FromMemory((char *)bale, (Py_ssize_t)len, PyBUF_READ);
    PyObject *finder = NULL;
    if (view != NULL) {
        PyObject *kind = PyObject_GetAttrString(module, "BaleFinder");
        PyObject *args = Py_BuildValue("(O)", view);
        PyObject *kwargs = Py_BuildValue("{s:s}", "path", mount);
        if (kind != NULL && args != NULL && kwargs != NULL) finder = PyObject_Call(kind, args, kwargs);
        Py_XDECREF(kind);
        Py_XDECREF(args);
        Py_XDECREF(kwargs);
        Py_DECREF(view);
    }
    Py_DECREF(module);
    if (finder == NULL) return NULL;
    PyObject *meta_path = PySys_GetObject("meta_path"); /* borrowed */
    if (meta_path == NULL || PyList_Insert(meta_path, 0, finder) != 0) {
        Py_DECREF(finder);
        return NULL;
    }
    return finder;
}

/* Runs `program` in `__main__` with `__bale_entry__` set to (kind, entry): the entry
 * point goes to Python as data, so no name can change what the program's code is.
 * What `Py_RunMain` does for `python -c`, but for one thing: a KeyboardInterrupt that
 * ends the program ends it by SIGINT, as `python` means to, even when printing it
 * imports modules (the importer's `sys.excepthook` imports `traceback` then), which
 * clears the flag `Py_RunMain` relies on. A SystemExit exits here, in PyErr_Print,
 * with its code, as in `python`. */
static int run(const char *program, const char *kind, const char *entry) {
    PyObject *main = PyImport_AddModule("__main__"); /* borrowed */
    PyObject *globals = main ? PyModule_GetDict(main) : NULL;
    PyObject *given = globals ? Py_BuildValue("(ss)", kind, entry) : NULL;
    int set = given != NULL && PyDict_SetItemString(globals, "__bale_entry__", given) == 0;
    Py_XDECREF(given);
    PyObject *result = set ? PyRun_StringFlags(program, Py_file_input, globals, globals, NULL) : NULL;
    int interrupted = 0, code = 0;
    if (result == NULL) {
        interrupted = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
        PyErr_Print();
        code = 1;
    } else {
        Py_DECREF(result);
    }
    if (Py_FinalizeEx() < 0) code = 120;
    if (interrupted) {
        signal(SIGINT, SIG_DFL);
        kill(getpid(), SIGINT);
        code = 130; /* if SIGINT did not end us */
    }
    return code;
}

/* An interpreter program's sys.path: the folders of PYTHONPATH alone, as Python
 * read it (none under -E or -I); the bale is its standard library and its
 * site-packages, so the folders Python would derive from its prefix, which do not
 * exist, are left out. Called after PyConfig_Read, which parsed the arguments. */
static PyStatus interpreter_path(PyConfig *config) {
    PyStatus status = PyStatus_Ok();
    wchar_t *copy = NULL, **items = NULL;
    Py_ssize_t count = 0;
    if (config->use_environment && config->pythonpath_env != NULL && config->pythonpath_env[0] != L'\0') {
        size_t size = wcslen(config->pythonpath_env) + 1;
        copy = PyMem_RawMalloc(size * sizeof(wchar_t));
        items = PyMem_RawMalloc(size * sizeof(wchar_t *)); /* at most one per character */
        if (copy == NULL || items == NULL) {
            PyMem_RawFree(copy);
            PyMem_RawFree(items);
            return PyStatus_NoMemory();
        }
        wmemcpy(copy, config->pythonpath_env, size);
        wchar_t *state = NULL;
        for (wchar_t *item = wcstok(copy, L":", &state); item != NULL; item = wcstok(NULL, L":", &state)) {
            items[count++] = item;
        }
    }
    status = PyConfig_SetWideStringList(config, &config->module_search_paths, count, items);
    config->module_search_paths_set = 1;
    PyMem_RawFree(copy);
    PyMem_RawFree(items);
    return status;
}

/* Runs the entry point (`kind`, `entry`) with `code` in an interpreter started as
 * described above, with `argv` as `sys.argv`, `executable` as `sys.executable` and
 * its `folder` as `sys.prefix`; gives the exit code, as `python -c` would. `kind`
 * `interpreter` makes the program a Python interpreter instead: `argv` is Python's
 * command line (`-m`, `-c`, a script, stdin, `-u`, `-I`...), run as `python` runs it
 * (`Py_RunMain`), with the bale installed first. */
int bale_run(int argc, char **argv, const char *executable, const char *folder, const unsigned char *bale,
             size_t len, const char *code, const char *kind, const char *entry) {
    const char *program = argc > 0 ? argv[0] : "bale";
    int interpreter = strcmp(kind, "interpreter") == 0;
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = interpreter; /* an app's argv is the app's; an interpreter's, Python's */
    config.site_import = 0;         /* no site-packages: everything is in the bale */
    config.user_site_directory = 0;
    config.write_bytecode = 0;
    config.pathconfig_warnings = 0; /* no Python installation to find: say nothing */
    config.module_search_paths_set = 1; /* and search none: sys.path stays empty */
    config._init_main = 0;          /* stop after the core phase */

    /* Each step only while none has failed; the config is cleared once, after. */
    PyStatus status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (!PyStatus_Exception(status)) status = PyConfig_SetBytesString(&config, &config.executable, executable);
    /* sys.prefix and the rest: the program's folder, given, so that Python does not
     * search the disk for an installation (its landmark files) to work them out. */
    wchar_t **prefixes[] = {&config.prefix, &config.exec_prefix, &config.base_prefix, &config.base_exec_prefix};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes && !PyStatus_Exception(status); i++) {
        status = PyConfig_SetBytesString(&config, prefixes[i], folder);
    }
    if (interpreter && !PyStatus_Exception(status)) status = PyConfig_Read(&config);
    if (interpreter && !PyStatus_Exception(status)) status = interpreter_path(&config);
    if (!PyStatus_Exception(status) && PyImport_AppendInittab("bale", PyInit_bale) != 0) {
        status = PyStatus_Error("cannot register the bale importer");
    }
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status)) {
        PyConfig_Clear(&config);
        return failed(status, program);
    }

    PyObject *finder = install_finder(bale, len, executable);
    if (finder == NULL) {
        PyConfig_Clear(&config);
        return python_failed(program, "cannot read the bale inside this program");
    }

    /* The main phase, by the same config: `encodings` and the rest now come from the
     * bale. */
    config._init_main = 1;
    status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) return failed(status, program);
    /* Now the rest of what `bale.install` does: the path hook, the bale's path on
     * sys.path and file access under it, which need the main phase's modules. */
    PyObject *meta_path = PySys_GetObject("meta_path");
    PyObject *done = meta_path ? PyObject_CallMethod(meta_path, "remove", "O", finder) : NULL;
    Py_XDECREF(done);
    done = done ? PyObject_CallMethod(finder, "install", NULL) : NULL;
    Py_DECREF(finder);
    if (done == NULL) return python_failed(program, "cannot install the bale's finder");
    Py_DECREF(done);
    return interpreter ? Py_RunMain() : run(code, kind, entry);
}
