/* lsan-glib.c: LeakSanitizer and what GLib keeps on purpose (ASan builds only)
 *
 * tools/test --sanitize runs the daemon under LeakSanitizer with tests/lsan.supp. Two
 * kinds of GLib memory are dropped unfreed by design and cannot be matched there,
 * because Debian's libraries have no frame pointers and the fast unwinder stops at
 * g_malloc: what library constructors allocate before main() (GLib's first quark
 * block), and the old block each time the quark table grows (GStreamer makes thousands
 * of quarks; GLib copies the table and drops the old one so readers need no lock).
 * Leak checking is off until main() (.preinit_array runs before every constructor; we
 * have none of our own), and a malloc hook tells LeakSanitizer to ignore a block that
 * the quark table allocates (found by a real backtrace, only for block sizes it uses). */
#include "lsan-glib.h"

#ifdef __SANITIZE_ADDRESS__
#include <dlfcn.h>
#include <execinfo.h>
#include <stddef.h>
#include <string.h>
#include <sanitizer/lsan_interface.h>

int __sanitizer_install_malloc_and_free_hooks (void (*malloc_hook) (const volatile void *, size_t),
                                               void (*free_hook) (const volatile void *));

/* quark blocks: g_new (gchar *, n * 2048) */
#define QUARK_BLOCK_BYTES (2048 * sizeof (char *))

static __thread int in_hook;

static int
allocated_by_quark_table (void)
{
  void *frames[12];
  int n = backtrace (frames, 12);

  for (int i = 0; i < n; i++)
    {
      Dl_info info;

      if (dladdr (frames[i], &info) != 0 && info.dli_sname != NULL &&
          (strncmp (info.dli_sname, "g_quark_from_", 13) == 0 ||
           strncmp (info.dli_sname, "g_intern_", 9) == 0))
        return 1;
    }
  return 0;
}

static void
on_malloc (const volatile void *ptr, size_t size)
{
  if (ptr == NULL || size < QUARK_BLOCK_BYTES || size % QUARK_BLOCK_BYTES != 0 || in_hook)
    return;
  in_hook = 1;
  if (allocated_by_quark_table ())
    __lsan_ignore_object ((const void *) ptr);
  in_hook = 0;
}

static void
on_free (const volatile void *ptr)
{
}

static void
lsan_off_until_main (void)
{
  __lsan_disable ();
}

__attribute__ ((section (".preinit_array"), used))
static void (*const lsan_preinit) (void) = lsan_off_until_main;

void
sips_lsan_glib_start (void)
{
  void *warm[1];

  backtrace (warm, 1);  /* loads the unwinder now, not inside the hook */
  __sanitizer_install_malloc_and_free_hooks (on_malloc, on_free);  /* both or none */
  __lsan_enable ();
}
#else
void
sips_lsan_glib_start (void)
{
}
#endif
