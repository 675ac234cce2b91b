package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.AppliedEntry;
import io.pekkoraft.etcd.api.LeaseGrantResponse;
import io.pekkoraft.etcd.api.LeaseTimeToLiveResponse;
import io.pekkoraft.etcd.api.WatchResponse;
import io.pekkoraft.etcd.kv.EtcdError;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rules of lease expiry, one narrative test each, on a manual clock (nanoseconds passed by hand): the leader's
 * deadlines ({@link Lessor}) and what the store does with the revocation the leader proposes.
 */
class LessorTest {

  static final long S = 1_000_000_000L;
  static final long RETRY = 5 * S;

  @Test
  void aLeaseNobodyKeepsAliveExpiresAtItsTtlAndItsRevocationIsProposedOnce() {
    Lessor lessor = new Lessor(RETRY);
    lessor.promote(Map.of(), 0, 0);
    lessor.granted(7, 3, 10 * S);
    assertEquals(List.of(), lessor.expired(12 * S), "2 s into a 3 s TTL nothing expires");
    assertEquals(1, lessor.remainingSeconds(7, 12 * S));
    assertEquals(List.of(7L), lessor.expired(13 * S), "at its deadline the leader proposes its revocation");
    assertEquals(List.of(), lessor.expired(13 * S + 1), "proposed once: the revocation is on its way");
    assertEquals(0, lessor.renew(7, 14 * S), "a keep-alive after the deadline answers TTL 0, as etcd does");
    assertEquals(List.of(7L), lessor.expired(18 * S), "not applied after revoke-retry: proposed again");
    lessor.revoked(7);
    assertEquals(List.of(), lessor.expired(100 * S));
    assertEquals(-1, lessor.remainingSeconds(7, 100 * S));
  }

  @Test
  void aKeepAlivePostponesTheDeadlineByTheFullTtl() {
    Lessor lessor = new Lessor(RETRY);
    lessor.promote(Map.of(), 0, 0);
    lessor.granted(7, 3, 0);
    for (long t = 2; t <= 20; t += 2) {
      assertEquals(3, lessor.renew(7, t * S), "each keep-alive answers the TTL");
      assertEquals(List.of(), lessor.expired(t * S + 2 * S), "kept alive every 2 s, a 3 s lease never expires");
    }
    assertEquals(List.of(7L), lessor.expired(23 * S), "3 s after the last keep-alive it does");
    assertEquals(0, lessor.renew(99, 23 * S), "a lease unknown here answers TTL 0");
  }

  @Test
  void aNewLeaderGivesEveryLeaseItsFullTtlPlusTheElectionDelayBeforeExpiringAny() {
    Lessor old = new Lessor(RETRY);
    old.promote(Map.of(), 0, 0);
    old.granted(7, 3, 0);
    assertEquals(3, old.renew(7, 2 * S), "kept alive by the old leader at 2 s, due at 5 s");
    old.demote();
    assertEquals(List.of(), old.expired(50 * S), "a member that no longer leads expires nothing");
    assertThrows(IllegalStateException.class, () -> old.renew(7, 50 * S));

    // The new leader wins at 4.9 s; the client's next keep-alive reaches it only after the election (2 s).
    Lessor fresh = new Lessor(RETRY);
    long elected = 4_900_000_000L;
    fresh.promote(Map.of(7L, 3L), 2 * S, elected);
    assertEquals(List.of(), fresh.expired(6 * S), "the old deadline (5 s) is not the new leader's");
    assertEquals(List.of(), fresh.expired(elected + 4 * S), "TTL + extension from the election: not yet");
    assertEquals(3, fresh.renew(7, elected + 4 * S), "the client's keep-alive, late by the election, still counts");
    assertEquals(List.of(), fresh.expired(elected + 6 * S));
    assertEquals(List.of(7L), fresh.expired(elected + 7 * S), "3 s after that keep-alive it expires");
  }

  @Test
  void theRevocationTheLeaderProposesDeletesTheLeasesKeysAtOneRevision() throws Exception {
    EtcdStateMachine machine = new EtcdStateMachine();
    EtcdResult.Done granted = assertInstanceOf(EtcdResult.Done.class,
        machine.apply(new EtcdCommand.LeaseGrant(0, 3), new AppliedEntry(1, 1, 0)));
    long id = LeaseGrantResponse.parseFrom(granted.response()).getID();
    assertTrue(id > 0, "an id chosen by the group is positive, as etcd's are: " + id);
    EtcdStateMachine other = new EtcdStateMachine();
    EtcdResult.Done same = (EtcdResult.Done) other.apply(new EtcdCommand.LeaseGrant(0, 3), new AppliedEntry(1, 1, 9));
    assertEquals(id, LeaseGrantResponse.parseFrom(same.response()).getID(), "every member chooses the same id");
    EtcdResult.Done next = (EtcdResult.Done) machine.apply(new EtcdCommand.LeaseGrant(0, 3), new AppliedEntry(2, 1, 0));
    assertNotEquals(id, LeaseGrantResponse.parseFrom(next.response()).getID(), "another entry, another id");

    machine.apply(EtcdStateMachineTest.put("a", "1", id), new AppliedEntry(3, 1, 0));
    machine.apply(EtcdStateMachineTest.put("b", "1", id), new AppliedEntry(4, 1, 0));
    machine.apply(EtcdStateMachineTest.put("c", "1", 0), new AppliedEntry(5, 1, 0));
    LeaseTimeToLiveResponse ttl = LeaseTimeToLiveResponse.parseFrom(((EtcdResult.Done) machine.query(
        new EtcdQuery.LeaseTimeToLive(id, true))).response());
    assertEquals(List.of("a", "b"), ttl.getKeysList().stream().map(k -> k.toStringUtf8()).toList());
    assertEquals(3, ttl.getGrantedTTL());
    assertEquals(Map.of(id, 3L, LeaseGrantResponse.parseFrom(next.response()).getID(), 3L),
        EtcdStateMachine.leaseTtls(((EtcdResult.Done) machine.query(new EtcdQuery.LeaseTtls())).response()));

    // Lessor.expired named it; the leader proposed LeaseRevoke(id):
    EtcdResult.Done revoked = (EtcdResult.Done) machine.apply(new EtcdCommand.LeaseRevoke(id), new AppliedEntry(6, 1, 0));
    assertEquals(5, revoked.revision(), "both keys deleted at one revision (4 -> 5)");
    WatchResponse events = WatchResponse.parseFrom(revoked.events());
    assertEquals(List.of("a", "b"), events.getEventsList().stream().map(e -> e.getKv().getKey().toStringUtf8()).toList());
    assertTrue(events.getEventsList().stream().allMatch(e -> e.getKv().getModRevision() == 5));
    assertEquals(new EtcdResult.Refused(EtcdError.LEASE_NOT_FOUND, 5, 1, 6),
        machine.query(new EtcdQuery.LeaseTimeToLive(id, false)));
    assertEquals(new EtcdResult.Refused(EtcdError.LEASE_NOT_FOUND, 5, 1, 7),
        machine.apply(new EtcdCommand.LeaseRevoke(id), new AppliedEntry(7, 1, 0)), "a second revocation is refused");
  }

  @Test
  void anExpiryDecidedByTheLeaderOfAnEndedTermIsNotAppliedFromAnEntryOfTheNextTerm() throws Exception {
    // Leader of term 3 grants the lease and a key is attached; its lessor decides, in term 3, that the lease
    // expired, but it was paused: node-2 leads term 4 and has given the lease a full TTL again. The expiry
    // reaches the log only through term 4's leader (forwarded), so its entry is of term 4.
    EtcdStateMachine machine = new EtcdStateMachine();
    long id = LeaseGrantResponse.parseFrom(((EtcdResult.Done) machine.apply(new EtcdCommand.LeaseGrant(0, 4),
        new AppliedEntry(1, 3, 0))).response()).getID();
    machine.apply(EtcdStateMachineTest.put("k", "1", id), new AppliedEntry(2, 3, 0));

    assertEquals(new EtcdResult.Refused(EtcdError.NOT_LEADER, 2, 4, 3),
        machine.apply(new EtcdCommand.LeaseExpire(id, 3), new AppliedEntry(3, 4, 0)),
        "an expiry decided in term 3 is refused from an entry of term 4");
    assertEquals(List.of("k"), LeaseTimeToLiveResponse.parseFrom(((EtcdResult.Done) machine.query(
        new EtcdQuery.LeaseTimeToLive(id, true))).response()).getKeysList().stream().map(k -> k.toStringUtf8())
        .toList(), "the lease and its key stay");

    // Term 4's own lessor decides it later: applied.
    EtcdResult.Done expired = assertInstanceOf(EtcdResult.Done.class,
        machine.apply(new EtcdCommand.LeaseExpire(id, 4), new AppliedEntry(4, 4, 0)));
    assertEquals(3, expired.revision(), "the key deleted (2 -> 3)");
    assertEquals(new EtcdResult.Refused(EtcdError.LEASE_NOT_FOUND, 3, 4, 4),
        machine.query(new EtcdQuery.LeaseTimeToLive(id, false)));
  }
}
