package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.rules.ConfigurationCodec.MalformedConfigurationException;
import io.pekkoraft.persistence.LogEntry;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigurationCodecTest {

  private static final Configuration JOINT =
      new Configuration(Set.of("node-1", "node-4", "node-5"), Set.of("node-1", "node-2", "node-3"), Set.of("node-6"),
          Set.of("node-2"));

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) b[i] = (byte) values[i];
    return b;
  }

  private static void assertMalformed(byte[] payload, String... expected) {
    MalformedConfigurationException e = assertThrows(MalformedConfigurationException.class,
        () -> ConfigurationCodec.decode(payload));
    for (String part : expected) assertTrue(e.getMessage().contains(part), e.getMessage());
  }

  @Test
  void roundTripsSimpleAndJointConfigurations() {
    // Every set, learnersNext included, comes back as it went in.
    for (Configuration c : new Configuration[] {
        Configuration.ofVoters(Set.of("a")),
        new Configuration(Set.of("a", "b", "c"), Set.of(), Set.of("l1", "l2")),
        new Configuration(Set.of("a", "d"), Set.of("a", "b", "c"), Set.of()),
        JOINT,
        JOINT.withDetails(java.util.Map.of("node-4", "pekko://raft@10.0.0.4:2552"), java.util.Map.of("node-1", -5L, "node-4", 42L))}) {
      assertEquals(c, ConfigurationCodec.decode(ConfigurationCodec.encode(c)));
    }
  }

  @Test
  void roundTripsIdsOutsideAscii() {
    // Ids are UTF-8, so any Java string survives, including characters beyond the Basic Multilingual Plane.
    Configuration c = new Configuration(Set.of("nœud-1", "节点-2", "node-\uD83D\uDE80"), Set.of(), Set.of(""));
    assertEquals(c, ConfigurationCodec.decode(ConfigurationCodec.encode(c)));
  }

  @Test
  void theLayoutIsPinned() {
    // Version 2: a version byte, then four u16-counted sets of u16-length-prefixed UTF-8 ids, then the
    // u16-counted addresses (id, address) and replica ids (id, i64).
    assertArrayEquals(bytes(2, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ConfigurationCodec.encode(Configuration.ofVoters(Set.of("a"))));
    assertArrayEquals(bytes(2, 0, 2, 0, 1, 'a', 0, 1, 'b', 0, 1, 0, 1, 'c', 0, 1, 0, 1, 'l', 0, 0, 0, 0, 0, 0),
        ConfigurationCodec.encode(new Configuration(Set.of("b", "a"), Set.of("c"), Set.of("l"))));
    assertArrayEquals(bytes(2, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 'a', 0, 2, 'h', ':', 0, 1, 0, 1, 'a',
            0, 0, 0, 0, 0, 0, 0, 9),
        ConfigurationCodec.encode(new Configuration(Set.of("a"), Set.of(), Set.of(), Set.of(), java.util.Map.of("a", "h:"),
            java.util.Map.of("a", 9L))));
  }

  @Test
  void oneConfigurationHasOneEncoding() {
    // Equal configurations built from sets in another order encode to the same bytes.
    Configuration a = new Configuration(new HashSet<>(Set.of("z", "m", "a")), Set.of(), Set.of("q", "b"));
    Configuration b = new Configuration(Set.of("a", "m", "z"), Set.of(), Set.of("b", "q"));
    assertArrayEquals(ConfigurationCodec.encode(a), ConfigurationCodec.encode(b));
  }

  @Test
  void travelsInAConfigurationLogEntry() {
    // The payload of a CONFIGURATION entry decodes to the configuration it was made from.
    LogEntry entry = new LogEntry(7, 3, LogEntry.Type.CONFIGURATION, ConfigurationCodec.encode(JOINT));
    assertEquals(JOINT, ConfigurationCodec.decode(entry.data()));
  }

  @Test
  void refusesAnEmptyPayload() {
    // An empty payload (a CONFIGURATION entry with no data) is not the empty configuration.
    assertMalformed(new byte[0], "at byte 0", "empty payload");
    assertMalformed(null, "empty payload");
  }

  @Test
  void refusesAnUnknownVersion() {
    // A payload written by a newer layout is refused by name, not misread.
    assertMalformed(bytes(3, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), "at byte 0", "unknown version 3");
    assertMalformed(bytes(1, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0), "at byte 0", "unknown version 1");
  }

  @Test
  void refusesATruncatedPayloadAtEveryLength() {
    // Every proper prefix of a valid payload fails with a message naming the truncation.
    byte[] full = ConfigurationCodec.encode(JOINT);
    for (int length = 1; length < full.length; length++) {
      byte[] prefix = Arrays.copyOf(full, length);
      MalformedConfigurationException e = assertThrows(MalformedConfigurationException.class,
          () -> ConfigurationCodec.decode(prefix), "prefix of " + length + " bytes");
      assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("bytes left"), e.getMessage());
    }
  }

  @Test
  void refusesAnIdLongerThanWhatIsLeft() {
    // A length prefix past the end names the member, its set and what was left.
    assertMalformed(bytes(2, 0, 1, 0, 9, 'a'), "at byte 3", "member 0 of voters is 9 bytes long, only 1 bytes left");
  }

  @Test
  void refusesBytesLeftOver() {
    // Trailing bytes mean the payload is not what this layout wrote.
    assertMalformed(bytes(2, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7), "at byte 16", "1 bytes left over");
  }

  @Test
  void refusesInvalidUtf8() {
    // 0xC3 0x28 is not UTF-8: refused, never replaced by U+FFFD.
    assertMalformed(bytes(2, 0, 1, 0, 2, 0xC3, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), "at byte 5",
        "member 0 of voters is not valid UTF-8");
  }

  @Test
  void refusesMembersOutOfOrderOrRepeated() {
    // The encoding is canonical: members in ascending order, each once.
    assertMalformed(bytes(2, 0, 2, 0, 1, 'b', 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), "at byte 6",
        "member 1 of voters (a) comes before the member before it (b)");
    assertMalformed(bytes(2, 0, 2, 0, 1, 'a', 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), "member 1 of voters (a) repeats");
  }

  @Test
  void refusesBytesThatBreakTheConfigurationInvariants() {
    // Well-formed sets that make no valid configuration are refused with the broken invariant.
    assertMalformed(bytes(2, 0, 0, 0, 0, 0, 1, 0, 1, 'l', 0, 0, 0, 0, 0, 0), "not a valid configuration", "at least one voter");
    assertMalformed(bytes(2, 0, 1, 0, 1, 'a', 0, 0, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0), "a cannot be both a voter and a learner");
    assertMalformed(bytes(2, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 'z', 0, 1, 'h', 0, 0),
        "an address is recorded for z, which is not a member");
    assertMalformed(bytes(2, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0),
        "the replica id of a is 0");
    assertMalformed(bytes(2, 0, 1, 0, 1, 'a', 0, 0, 0, 0, 0, 1, 0, 1, 'a', 0, 0, 0, 0), "learner-next but not an outgoing voter");
  }

  @Test
  void refusesToEncodeAnIdTooLongForItsLengthPrefix() {
    // A u16 length cannot say more than 65535 bytes: encoding refuses rather than truncate.
    Configuration c = Configuration.ofVoters(Set.of("x".repeat(ConfigurationCodec.ID_BYTES_MAX + 1)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigurationCodec.encode(c));
    assertTrue(e.getMessage().contains("at most 65535"), e.getMessage());
    Configuration longest = Configuration.ofVoters(Set.of("x".repeat(ConfigurationCodec.ID_BYTES_MAX)));
    assertEquals(longest, ConfigurationCodec.decode(ConfigurationCodec.encode(longest)));
  }
}
