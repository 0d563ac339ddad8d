/*
 * loop - the program's one event loop (epoll, timers, signals as events).
 *
 * Callbacks may delete their own fd or timer, or others'.  Signals listed
 * in loop_signal() are blocked and delivered through a signalfd, so no
 * work runs in a signal handler.
 */
#ifndef CLI_LOOP_H
#define CLI_LOOP_H

#include <stdint.h>

#define LOOP_IN		0x1
#define LOOP_OUT	0x4
#define LOOP_ERR	0x8

struct loop_timer;

typedef void (*loop_fd_cb)(int fd, unsigned events, void *arg);
typedef void (*loop_timer_cb)(void *arg);
typedef void (*loop_signal_cb)(int signo, void *arg);

int	 loop_init(void);
/* loop_add_fd - watch fd; -1 (errno set) if it cannot be polled, e.g. a file */
int	 loop_add_fd(int fd, unsigned events, loop_fd_cb, void *arg);
int	 loop_mod_fd(int fd, unsigned events);
void	 loop_del_fd(int fd);
/* loop_forget_fd - stop watching fd, which the caller closes at once (and
 * never dup'ed): the close takes it out of epoll */
void	 loop_forget_fd(int fd);
/* loop_add_timer - fires once after ms; returns a handle for loop_del_timer */
struct loop_timer *loop_add_timer(uint64_t ms, loop_timer_cb, void *arg);
/* loop_timer_at - fires once at the monotonic time at_us */
struct loop_timer *loop_timer_at(uint64_t at_us, loop_timer_cb, void *arg);
void	 loop_del_timer(struct loop_timer *);
int	 loop_signal(int signo, loop_signal_cb, void *arg);
/* loop_run - until loop_quit(); returns its code */
int	 loop_run(void);
void	 loop_quit(int code);
int	 loop_running(void);
/* loop_idle - call cb before each wait (e.g. to flush output) */
void	 loop_set_prepoll(void (*cb)(void *), void *arg);
/* loop_now - monotonic microseconds */
uint64_t loop_now(void);

#endif
