/* format.c - numbers, ages, sizes and sparklines as short text. */
#include "pane.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void fmt_age(char *out, size_t n, double s)
{
	if (s < 0 || isnan(s)) {
		snprintf(out, n, "-");
		return;
	}
	long v = (long)s;
	if (s < 10 && s != (double)v)
		snprintf(out, n, "%.1fs", s);
	else if (v < 60)
		snprintf(out, n, "%lds", v);
	else if (v < 3600)
		snprintf(out, n, "%ldm%02lds", v / 60, v % 60);
	else if (v < 86400)
		snprintf(out, n, "%ldh%02ldm", v / 3600, v % 3600 / 60);
	else
		snprintf(out, n, "%ldd%02ldh", v / 86400, v % 86400 / 3600);
}

void fmt_bytes(char *out, size_t n, double b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	if (b < 0 || isnan(b)) {
		snprintf(out, n, "-");
		return;
	}
	int u = 0;
	while (b >= 1024 && u < 5) {
		b /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%.0f B", b);
	else
		snprintf(out, n, "%.*f %s", b < 10 ? 1 : 0, b, unit[u]);
}

void fmt_num(char *out, size_t n, double v)
{
	if (v < 0 || isnan(v))
		snprintf(out, n, "-");
	else if (v >= 1e9)
		snprintf(out, n, "%.1fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(out, n, "%.1fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(out, n, "%.1fk", v / 1e3);
	else if (v >= 100 || v == (double)(long)v)
		snprintf(out, n, "%.0f", v);
	else
		snprintf(out, n, "%.*f", v < 1 ? 3 : 1, v);
}

void fmt_spark(char *out, size_t n, const double *v, size_t nv, int width)
{
	static const char *const bars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
					   "\u2585", "\u2586", "\u2587", "\u2588"};
	static const char ascii[] = "_.-:=+*#";
	size_t o = 0, from = nv > (size_t)width ? nv - (size_t)width : 0;
	double hi = 0;
	for (size_t i = from; i < nv; i++)
		if (v[i] > hi)
			hi = v[i];
	out[0] = '\0';
	for (size_t i = from; i < nv; i++) {
		int lvl = hi > 0 && v[i] > 0 ? (int)(v[i] / hi * 7.0 + 0.5) : 0;
		const char *b = text_utf8() ? bars[lvl] : (char[]){ascii[lvl], 0};
		size_t bl = strlen(b);
		if (o + bl + 1 > n)
			break;
		memcpy(out + o, b, bl + 1);
		o += bl;
	}
}

void endpoint_norm(const char *host, int port, char *out, size_t n)
{
	/* "localhost", "127.0.0.1", "::1" and socket directories are one host here */
	int local = !host[0] || host[0] == '/' || strcmp(host, "localhost") == 0 ||
		    strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
	snprintf(out, n, "%s:%d", local ? "local" : host, port);
}

void endpoint_norm_target(const char *endpoint, char *out, size_t n)
{
	char host[96];
	snprintf(host, sizeof host, "%s", endpoint);
	char *colon = strrchr(host, ':');
	int port = colon ? atoi(colon + 1) : 0;
	if (colon)
		*colon = '\0';
	endpoint_norm(host, port, out, n);
}

void fmt_utc(char *out, size_t n, double epoch)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	if (epoch <= 0 || !gmtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%SZ", &tm))
		snprintf(out, n, "-");
}
