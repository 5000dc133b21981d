/* proto.h -- protocol names shared by server and client: user kinds, roles, event types. */
#ifndef FOLIO_PROTO_H
#define FOLIO_PROTO_H

#define FOLIO_VERSION "0.1.0"
#define FOLIO_API_PREFIX "/api/v1"

enum user_kind { USER_NONE, USER_STAFF, USER_CONTACT };
enum staff_role { ROLE_NONE, ROLE_MEMBER, ROLE_ADMIN, ROLE_OWNER };

/* Event types carried on the event stream (API.md, Events). */
#define EV_THREAD_CREATED "thread.created"
#define EV_THREAD_UPDATED "thread.updated"
#define EV_MESSAGE_CREATED "message.created"
#define EV_MESSAGE_UPDATED "message.updated"
#define EV_THREAD_READ "thread.read"
#define EV_DOCUMENT_CREATED "document.created"
#define EV_TASK_UPDATED "task.updated"
#define EV_NOTIFICATION_CREATED "notification.created"

/* WebSocket close codes of the event stream (man folio-api(7)). */
#define WS_CLOSE_GOING_AWAY 1001 /* the server is stopping: reconnect with since */
#define WS_CLOSE_TRY_AGAIN 1013  /* the database is unreachable: reconnect with since later */
#define WS_CLOSE_BAD_REQUEST 4400 /* since is not an event id */
#define WS_CLOSE_UNAUTHORIZED 4401 /* no, unknown, expired or revoked token: log in again */
#define WS_CLOSE_FORBIDDEN 4403  /* view_as_account refused */
#define WS_CLOSE_TOO_SLOW 4408   /* the subscriber fell behind its queue limit: resume with since */
#define WS_CLOSE_RESYNC 4409     /* since is older than the retention: reload, then resync */

const char *proto_kind_name(enum user_kind kind);
enum user_kind proto_kind_parse(const char *s);
const char *proto_role_name(enum staff_role role);
enum staff_role proto_role_parse(const char *s);

#endif
