/* The Android agent's jar (scrcpy-server) and its version.
 *
 * ancloudd speaks one version of scrcpy-server's protocol (ANC_AGENT_VERSION): the protocol is
 * internal to scrcpy and changes between releases, and the server refuses a client of another
 * version only once it runs. So the operator's jar ([android] agent_jar) is checked up front: at
 * daemon start (logged) and whenever an android instance is created (answered 400).
 *
 * Where the version is: the jar is a zip holding classes.dex; scrcpy's build generates
 *   package com.genymobile.scrcpy; public final class BuildConfig {
 *       public static final String VERSION_NAME = "3.3.3"; ... }
 * (gradle's buildConfig, or the BuildConfig.java that build_without_gradle.sh writes), and the
 * dexer stores a constant's value in the class's static_values. The server compares it with its
 * first argument (Options.java). The parsers read that value; they take bytes and touch nothing,
 * anc_agent_jar_check reads the file. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The scrcpy-server version ancloudd's agent client speaks. */
#define ANC_AGENT_VERSION "3.3.3"

#define ANC_AGENT_VERSION_MAX 32         /* longest version string accepted, NUL included */
#define ANC_AGENT_JAR_MAX     (64 << 20) /* the jar and its classes.dex: scrcpy's are ~100 KB */

/* The string value of static field VERSION_NAME of class com.genymobile.scrcpy.BuildConfig in a
 * dex file. Returns 0 with the version in out, -ENOENT (no such class or field, or no value),
 * -EBADMSG (malformed dex: offsets out of bounds, bad encodings) or -ENAMETOOLONG (the value
 * does not fit or is not a plain version string of [0-9A-Za-z.+_-]). */
int anc_agent_dex_version(const uint8_t *dex, size_t len, char *out, size_t outlen);

/* The same from a whole jar (zip): finds classes.dex (stored or deflated) and reads it.
 * Returns as above, -ENOENT also when the zip has no classes.dex, -EBADMSG when it is not a zip,
 * -EFBIG when classes.dex inflates beyond ANC_AGENT_JAR_MAX, -ENOMEM. */
int anc_agent_jar_version(const uint8_t *jar, size_t len, char *out, size_t outlen);

/* Checks the jar at path ([android] agent_jar). Returns 0 when it is scrcpy-server
 * ANC_AGENT_VERSION; otherwise a negative errno and, in why, a sentence for the operator that
 * names "[android] agent_jar", the path, and both versions when the jar is another version
 * (-EPROTO), or what is wrong with the file (-ENOENT missing, -EBADMSG not a scrcpy-server jar,
 * another errno from reading it). */
#define ANC_AGENT_WHY_MAX 512
int anc_agent_jar_check(const char *path, char *why, size_t len);
