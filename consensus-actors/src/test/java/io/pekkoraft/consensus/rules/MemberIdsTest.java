package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemberIdsTest {

  @Test
  void plainBoundedNamesAreMemberIds() {
    // Letters, digits, '_', '.' and '-', 1 to 64 of them: what the project's members are called.
    for (String id : new String[] {"node-1", "a", "N_2.b-c", "x".repeat(64)}) {
      assertTrue(MemberIds.valid(id), id);
      assertNull(MemberIds.problem(id));
    }
  }

  @Test
  void controlCharactersSlashesSpacesAndOverlongIdsAreNot() {
    // Each would break an actor name or bloat every configuration entry; the message names the id, escaped
    // and cut to 64 characters, and the rule.
    assertEquals("a member id is empty", MemberIds.problem(""));
    assertEquals("a member id is empty", MemberIds.problem(null));
    for (String id : new String[] {"peer-J\u0001", "a/b", "node 1", "\u00e9t\u00e9", "$a", "x".repeat(65)}) {
      assertFalse(MemberIds.valid(id), id);
      assertTrue(MemberIds.problem(id).contains(MemberIds.RULE), MemberIds.problem(id));
    }
    assertEquals("member id 'peer-J\\u0001' is not " + MemberIds.RULE + " (7 characters)",
        MemberIds.problem("peer-J\u0001"));
    assertEquals("'" + "y".repeat(64) + "'...", MemberIds.quoted("y".repeat(100_000)));
  }
}
