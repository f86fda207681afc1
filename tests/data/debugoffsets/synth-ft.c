// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Writes to stdout the _Py_DebugOffsets struct a CPython build would carry,
 * computed by the compiler from that release's own headers: `synth-ft`
 * compiles this file against the Include/ tree of a libpython3.X-dev
 * package, once as the default build and once with -DPy_GIL_DISABLED=1 (the
 * free-threaded build, which no package here ships).  Every field is the
 * release's own initializer, _Py_DebugOffsets_INIT() in
 * internal/pycore_debug_offsets.h: offsetof()/sizeof() of the structs as
 * that configuration lays them out on x86_64.  Only headers are read: no
 * CPython code is copied here.
 */
#define Py_BUILD_CORE 1
#include "Python.h"
#include "internal/pycore_runtime.h"	   /* _PyRuntimeState */
#include "internal/pycore_interp.h"	   /* PyInterpreterState */
#include "internal/pycore_interpframe.h" /* _PyInterpreterFrame */
#include "internal/pycore_code.h"	   /* PyCodeObject, co_tlbc */
#include "internal/pycore_genobject.h"   /* PyGenObject */
#include "internal/pycore_setobject.h"   /* PySetObject */
#include "internal/pycore_debug_offsets.h"
#include <stdio.h>

int main(void)
{
	static const _Py_DebugOffsets d = _Py_DebugOffsets_INIT(_Py_Debug_Cookie);

	if (fwrite(&d, sizeof(d), 1, stdout) != 1 || fflush(stdout))
		return 1;
	return 0;
}
