/* Certify's bridge between the Microsoft.Z3 4.12.2 managed binding and Debian 12's libz3 4.8.12.
 *
 * Why: the NuGet package ships no Linux native library, and the managed binding calls one entry point
 * that Z3 4.8.12 does not have, Z3_enable_concurrent_dec_ref (added in 4.12 to make reference-count
 * decrements safe from the .NET finaliser thread). This file is built into a small libz3.so placed next
 * to the application; it is linked with --no-as-needed against the system libz3.so.4 so that every other
 * Z3_* symbol the binding looks up with dlsym resolves through this library's dependency to the real Z3.
 * Certify disposes Z3 objects deterministically on the thread that made them, so the no-op is safe. */
typedef struct _Z3_context *Z3_context;
void Z3_enable_concurrent_dec_ref(Z3_context c) { (void)c; }
