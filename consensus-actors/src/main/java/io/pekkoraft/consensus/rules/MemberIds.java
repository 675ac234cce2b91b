package io.pekkoraft.consensus.rules;

import java.util.regex.Pattern;

/**
 * What a member id may be: 1 to {@value #LENGTH_MAX} characters of {@code A-Z a-z 0-9 _ . -}. A member id
 * names actors (a server's peer followers are {@code peer-<id>-<n>}), receptionist keys, log lines and
 * configuration entries that every member stores forever, so it must be a plain, bounded name: a control
 * character or a slash would be an illegal actor name, and a megabyte id would be copied into every
 * configuration entry. One rule for every way an id comes in: {@code pekko-raft.members} (a configuration
 * error at start) and each membership change (refused as {@code INVALID_REQUEST} before anything is appended).
 */
public final class MemberIds {

  /** The longest member id. */
  public static final int LENGTH_MAX = 64;

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_.-]{1," + LENGTH_MAX + "}");

  /** The rule in words, for messages. */
  public static final String RULE = "1 to " + LENGTH_MAX + " characters of A-Z a-z 0-9 _ . -";

  private MemberIds() {}

  /** Is {@code id} a valid member id? */
  public static boolean valid(String id) {
    return id != null && VALID.matcher(id).matches();
  }

  /** What is wrong with {@code id} (a message naming it, cut short and escaped), or null if it is valid. */
  public static String problem(String id) {
    if (id == null || id.isEmpty()) return "a member id is empty";
    if (valid(id)) return null;
    return "member id " + quoted(id) + " is not " + RULE + " (" + id.length() + " characters)";
  }

  /** {@code id} for a message: at most {@value #LENGTH_MAX} characters, anything outside printable ASCII as \\uXXXX. */
  public static String quoted(String id) {
    StringBuilder b = new StringBuilder("'");
    int shown = Math.min(id.length(), LENGTH_MAX);
    for (int i = 0; i < shown; i++) {
      char ch = id.charAt(i);
      if (ch >= 0x20 && ch < 0x7f && ch != '\'' && ch != '\\') b.append(ch);
      else b.append(String.format("\\u%04x", (int) ch));
    }
    b.append('\'');
    if (id.length() > shown) b.append("...");
    return b.toString();
  }
}
