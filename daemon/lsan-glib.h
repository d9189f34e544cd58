/* lsan-glib.h: LeakSanitizer and what GLib keeps on purpose (a no-op without ASan) */
#pragma once

/* Turns leak checking on (it is off until main()); call first thing in main(). */
void sips_lsan_glib_start (void);
