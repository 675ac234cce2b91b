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
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import java.util.TreeSet;

/**
 * The payload of a {@code LogEntry.Type.CONFIGURATION} entry: a {@link Configuration} as bytes, written by
 * hand (no reflection, no Kryo), so that the layout is fixed and versioned like the wire format.
 *
 * <p>Version 2, big-endian:
 *
 * <pre>
 *   byte    version (2)
 *   4 sets, in this order: voters, votersOutgoing, learners, learnersNext; each
 *     u16   number of members
 *     per member, in ascending order (String.compareTo, no duplicates):
 *       u16   length of the id in bytes
 *       bytes the id in UTF-8
 *   addresses:
 *     u16   number of entries
 *     per entry, in ascending order of member id: the id, then the address, each as u16 length + UTF-8
 *   replica ids:
 *     u16   number of entries
 *     per entry, in ascending order of member id: the id as u16 length + UTF-8, then i64 the replica id
 * </pre>
 *
 * <p>One configuration has exactly one encoding, so decoding and encoding again gives the same bytes.
 * Decoding accepts nothing else: an unknown version, a truncated set or id, bytes left over, invalid UTF-8,
 * members out of order or repeated, or sets that break {@link Configuration}'s invariants each throw a
 * {@link MalformedConfigurationException} naming what is wrong and where. A journal that returns such bytes
 * is damaged; the node must stop rather than guess a configuration.
 */
public final class ConfigurationCodec {

  public static final byte VERSION = 2;

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
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
    try {
      out.writeByte(VERSION);
      for (int s = 0; s < sets.size(); s++) {
        Set<String> set = sets.get(s);
        writeCount(out, set.size(), SET_NAMES[s]);
        for (String id : set) writeString(out, id, "member id in " + SET_NAMES[s]); // sorted: the canonical order
      }
      writeCount(out, config.addresses().size(), "addresses");
      for (Map.Entry<String, String> e : config.addresses().entrySet()) {
        writeString(out, e.getKey(), "member id in addresses");
        writeString(out, e.getValue(), "address of " + e.getKey());
      }
      writeCount(out, config.replicaIds().size(), "replicaIds");
      for (Map.Entry<String, Long> e : config.replicaIds().entrySet()) {
        writeString(out, e.getKey(), "member id in replicaIds");
        out.writeLong(e.getValue());
      }
    } catch (java.io.IOException impossible) {
      throw new java.io.UncheckedIOException(impossible); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  private static void writeCount(java.io.DataOutputStream out, int count, String name) throws java.io.IOException {
    if (count > SET_SIZE_MAX) {
      throw new IllegalArgumentException(name + " has " + count + " members, at most " + SET_SIZE_MAX + " can be encoded");
    }
    out.writeShort(count);
  }

  private static void writeString(java.io.DataOutputStream out, String value, String what) throws java.io.IOException {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > ID_BYTES_MAX) {
      throw new IllegalArgumentException(what + " of " + utf8.length + " bytes, at most " + ID_BYTES_MAX + " can be encoded");
    }
    out.writeShort(utf8.length);
    out.write(utf8);
  }

  /** The configuration of a configuration entry's payload. */
  public static Configuration decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0) throw malformed(0, "empty payload, expected a version byte");
    ByteBuffer in = ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    byte version = in.get();
    if (version != VERSION) throw malformed(0, "unknown version " + version + ", this node reads version " + VERSION);
    List<Set<String>> sets = new ArrayList<>();
    for (String name : SET_NAMES) sets.add(readSet(in, name));
    Map<String, String> addresses = new TreeMap<>();
    Map<String, Long> replicaIds = new TreeMap<>();
    int count = readU16(in, "the number of addresses");
    String previous = null;
    for (int i = 0; i < count; i++) {
      String id = readOrderedString(in, "member " + i + " of addresses", previous);
      addresses.put(id, readOrderedString(in, "the address of " + id, null));
      previous = id;
    }
    count = readU16(in, "the number of replicaIds");
    previous = null;
    for (int i = 0; i < count; i++) {
      String id = readOrderedString(in, "member " + i + " of replicaIds", previous);
      int at = in.position();
      if (in.remaining() < 8) throw malformed(at, "truncated: expected 8 bytes for the replica id of " + id);
      replicaIds.put(id, in.getLong());
      previous = id;
    }
    if (in.hasRemaining()) {
      throw malformed(in.position(), in.remaining() + " bytes left over after the replica ids");
    }
    String violation = Configuration.violation(sets.get(0), sets.get(1), sets.get(2), sets.get(3));
    if (violation == null) {
      violation = Configuration.detailsViolation(sets.get(0), sets.get(1), sets.get(2), addresses, replicaIds);
    }
    if (violation != null) throw malformed(bytes.length, "not a valid configuration: " + violation);
    return new Configuration(sets.get(0), sets.get(1), sets.get(2), sets.get(3), addresses, replicaIds);
  }

  private static Set<String> readSet(ByteBuffer in, String name) {
    int count = readU16(in, "the size of " + name);
    Set<String> set = new TreeSet<>();
    String previous = null;
    for (int i = 0; i < count; i++) {
      String id = readOrderedString(in, "member " + i + " of " + name, previous);
      set.add(id);
      previous = id;
    }
    return set;
  }

  /**
   * A u16 length and that many bytes of UTF-8; when {@code previous} is not null, the string must come
   * after it (members are encoded once each, in ascending order).
   */
  private static String readOrderedString(ByteBuffer in, String what, String previous) {
    int at = in.position();
    int length = readU16(in, "the length of " + what);
    if (length > in.remaining()) {
      throw malformed(at, what + " is " + length + " bytes long, only " + in.remaining() + " bytes left");
    }
    ByteBuffer utf8 = in.slice();
    utf8.limit(length);
    in.position(in.position() + length);
    String value = decodeUtf8(utf8, at + 2, what);
    if (previous != null && previous.compareTo(value) >= 0) {
      throw malformed(at, what + " (" + value + ") " + (previous.equals(value) ? "repeats" : "comes before")
          + " the member before it (" + previous + "): members are encoded once each, in ascending order");
    }
    return value;
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
