/* proto.c -- names of protocol enums, both ways. */
#include "proto.h"

#include <string.h>

static const char *kind_names[] = { "none", "staff", "contact" };
static const char *role_names[] = { "none", "member", "admin", "owner" };

const char *
proto_kind_name(enum user_kind kind)
{
	return kind_names[kind];
}

enum user_kind
proto_kind_parse(const char *s)
{
	if (s != NULL && strcmp(s, "staff") == 0)
		return USER_STAFF;
	if (s != NULL && strcmp(s, "contact") == 0)
		return USER_CONTACT;
	return USER_NONE;
}

const char *
proto_role_name(enum staff_role role)
{
	return role_names[role];
}

enum staff_role
proto_role_parse(const char *s)
{
	int i;

	for (i = ROLE_MEMBER; s != NULL && i <= ROLE_OWNER; i++)
		if (strcmp(s, role_names[i]) == 0)
			return (enum staff_role)i;
	return ROLE_NONE;
}
