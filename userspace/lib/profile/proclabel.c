// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "profile/proclabel.h"

bool proclabel__valid_key(const char *key, size_t len)
{
	if (len < 1 || len > PROCLABEL_MAX_KEY || (key[0] >= '0' && key[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

bool proclabel__valid_set(const struct proclabel *l, size_t nr)
{
	if (nr > PROCLABEL_MAX)
		return false;
	for (size_t i = 0; i < nr; i++) {
		if (!l[i].key || !l[i].value || !proclabel__valid_key(l[i].key, strlen(l[i].key)) ||
		    strlen(l[i].value) > PROCLABEL_MAX_VALUE)
			return false;
		if (i && strcmp(l[i - 1].key, l[i].key) >= 0)
			return false;
	}
	return true;
}
