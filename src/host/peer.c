/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/socket.h>
#include <unistd.h>

#include "peer.h"

bool xvd_peer_is_admin(int fd, uid_t *uid)
{
    struct ucred cred = { .uid = (uid_t)-1 };
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        cred.uid = (uid_t)-1;
    *uid = cred.uid;
    return cred.uid != (uid_t)-1 && (cred.uid == 0 || cred.uid == geteuid());
}
