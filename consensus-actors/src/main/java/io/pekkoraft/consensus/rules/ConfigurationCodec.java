package io.pekkoraft.consensus.rules;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The payload of a {@code LogEntry.Type.CONFIGURATION} entry: a {@link Configuration} as bytes, written by
 * hand (no reflection, no Kryo), so that the layout is fixed and versioned like the wire format.
 *
 * <p>Version 1, big-endian:
 *
 * <pre>
 *   byte    version (1)
 *   4 sets, in this order: voters, votersOutgoing, learners, learnersNext; each
 *     u16   number of members
 *     per member, in ascending order (String.compareTo, no duplicates):
 *       u16   length of the id in bytes
 *       bytes the id in UTF-8
 * </pre>
 *
 * <p>One configuration has exactly one encoding, so decoding and encoding again gives the same bytes.
 * Decoding accepts nothing else: an unknown version, a truncated set or id, bytes left over, invalid UTF-8,
 * members out of order or repeated, or sets that break {@link Configuration}'s invariants each throw a
 * {@link MalformedConfigurationException} naming what is wrong and where. A journal that returns such bytes
 * is damaged; the node must stop rather than guess a configuration.
 */
public final class ConfigurationCodec {

  public static final byte VERSION = 1;

  /** The most members of one set, and the most bytes of one member id, a u16 can say. */
  public static final int SET_SIZE_MAX = 0xFFFF;

  public static final int ID_BYTES_MAX = 0xFFFF;

  private static final String[] SET_NAMES = {"voters", "votersOutgoing", "learners", "learnersNext"};

  /** Bytes that do not decode to a configuration. */
  public static final class MalformedConfigurationException extends IllegalArgumentException {
    MalformedConfigurationException(String message) {
      super(message);
    }
  }

  private ConfigurationCodec() {}

  /**
   * The payload for a configuration entry.
   *
   * @throws IllegalArgumentException when a set has more than {@link #SET_SIZE_MAX} members or an id more
   *     than {@link #ID_BYTES_MAX} bytes in UTF-8
   */
  public static byte[] encode(Configuration config) {
    List<Set<String>> sets = List.of(config.voters(), config.votersOutgoing(), config.learners(), config.learnersNext());
    List<byte[]> ids = new ArrayList<>();
    int size = 1;
    for (int s = 0; s < sets.size(); s++) {
      Set<String> set = sets.get(s);
      if (set.size() > SET_SIZE_MAX) {
        throw new IllegalArgumentException(SET_NAMES[s] + " has " + set.size() + " members, at most " + SET_SIZE_MAX
            + " can be encoded");
      }
      size += 2;
      for (String id : set) { // a Configuration's sets are sorted, so this is the canonical order
        byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > ID_BYTES_MAX) {
          throw new IllegalArgumentException("member id of " + utf8.length + " bytes in " + SET_NAMES[s] + ", at most "
              + ID_BYTES_MAX + " can be encoded");
        }
        ids.add(utf8);
        size += 2 + utf8.length;
      }
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(VERSION);
    int next = 0;
    for (Set<String> set : sets) {
      out.putShort((short) set.size());
      for (int i = 0; i < set.size(); i++) {
        byte[] utf8 = ids.get(next++);
        out.putShort((short) utf8.length);
        out.put(utf8);
      }
    }
    return out.array();
  }

  /** The configuration of a configuration entry's payload. */
  public static Configuration decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0) throw malformed(0, "empty payload, expected a version byte");
    ByteBuffer in = ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    byte version = in.get();
    if (version != VERSION) throw malformed(0, "unknown version " + version + ", this node reads version " + VERSION);
    List<Set<String>> sets = new ArrayList<>();
    for (String name : SET_NAMES) sets.add(readSet(in, name));
    if (in.hasRemaining()) {
      throw malformed(in.position(), in.remaining() + " bytes left over after the four sets");
    }
    String violation = Configuration.violation(sets.get(0), sets.get(1), sets.get(2), sets.get(3));
    if (violation != null) throw malformed(bytes.length, "not a valid configuration: " + violation);
    return new Configuration(sets.get(0), sets.get(1), sets.get(2), sets.get(3));
  }

  private static Set<String> readSet(ByteBuffer in, String name) {
    int countAt = in.position();
    int count = readU16(in, "the size of " + name);
    Set<String> set = new TreeSet<>();
    String previous = null;
    for (int i = 0; i < count; i++) {
      int at = in.position();
      int length = readU16(in, "the length of member " + i + " of " + name);
      if (length > in.remaining()) {
        throw malformed(at, "member " + i + " of " + name + " is " + length + " bytes long, only " + in.remaining()
            + " bytes left (" + name + " of " + count + " members starts at byte " + countAt + ")");
      }
      ByteBuffer utf8 = in.slice();
      utf8.limit(length);
      in.position(in.position() + length);
      String id = decodeUtf8(utf8, at + 2, "member " + i + " of " + name);
      if (previous != null && previous.compareTo(id) >= 0) {
        throw malformed(at, "member " + i + " of " + name + " (" + id + ") "
            + (previous.equals(id) ? "repeats" : "comes before") + " the member before it (" + previous
            + "): members are encoded once each, in ascending order");
      }
      set.add(id);
      previous = id;
    }
    return set;
  }

  private static int readU16(ByteBuffer in, String what) {
    int at = in.position();
    try {
      return Short.toUnsignedInt(in.getShort());
    } catch (BufferUnderflowException e) {
      throw malformed(at, "truncated: expected 2 bytes for " + what + ", " + in.remaining() + " left");
    }
  }

  private static String decodeUtf8(ByteBuffer utf8, int at, String what) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      CharBuffer chars = decoder.decode(utf8);
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw malformed(at, what + " is not valid UTF-8 (" + e + ")");
    }
  }

  private static MalformedConfigurationException malformed(int offset, String what) {
    return new MalformedConfigurationException("malformed configuration entry payload at byte " + offset + ": " + what);
  }
}
