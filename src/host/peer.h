/* SPDX-License-Identifier: Apache-2.0 */
/* Who is at the other end of a Unix socket the daemon serves. */
#ifndef XVD_PEER_H
#define XVD_PEER_H

#include <stdbool.h>
#include <sys/types.h>

/* Root or the daemon's own user: the callers allowed on its admin sockets
 * (control, raw SCMI), whatever a socket file's mode says. *uid is the
 * peer's, or -1 if the kernel would not tell. */
bool xvd_peer_is_admin(int fd, uid_t *uid);

#endif
