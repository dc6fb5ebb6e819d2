/* clock.h - the two clocks every layer uses: monotonic for deadlines and ages, wall for stamps. */
#ifndef DBFLEET_CLOCK_H
#define DBFLEET_CLOCK_H

/* Monotonic seconds: deadlines, sample ages, intervals. Any thread. */
double clock_mono(void);
/* Wall-clock seconds since the epoch (UTC): audit records, "at 03:12". Any thread. */
double clock_wall(void);

#endif
