package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.google.protobuf.ByteString;
import io.pekkoraft.consensus.AppliedEntry;
import io.pekkoraft.etcd.api.PutRequest;
import io.pekkoraft.etcd.api.RangeRequest;
import io.pekkoraft.etcd.api.RangeResponse;
import io.pekkoraft.etcd.api.RequestOp;
import io.pekkoraft.etcd.api.TxnRequest;
import io.pekkoraft.etcd.api.WatchResponse;
import io.pekkoraft.etcd.kv.EtcdError;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.persistence.serialization.PersistenceKryoRegistrar;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The etcd state machine as the Raft runner drives it: commands applied at log entries, results and snapshots
 * through Kryo with the module's registrar, as they travel between members and into snapshot files.
 */
class EtcdStateMachineTest {

  final KryoCodec kryo = KryoCodec.create(getClass().getClassLoader(),
      List.of(new PersistenceKryoRegistrar(), new EtcdKryoRegistrar()));

  static EtcdCommand put(String key, String value, long lease) {
    return new EtcdCommand.Txn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestPut(
        PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value))
            .setLease(lease))).build().toByteArray());
  }

  @SuppressWarnings("unchecked")
  <T> T viaKryo(T object) {
    return (T) kryo.fromBytes(kryo.toBytes(object));
  }

  @Test
  void resultsCarryTheRevisionTheTermTheIndexAndTheEventsAndSurviveKryo() throws Exception {
    EtcdStateMachine machine = new EtcdStateMachine();
    EtcdResult put = viaKryo(machine.apply(viaKryo(put("a", "1", 0)), new AppliedEntry(5, 2, 1000)));
    EtcdResult.Done done = assertInstanceOf(EtcdResult.Done.class, put);
    assertEquals(2, done.revision());
    assertEquals(2, done.raftTerm());
    assertEquals(5, done.appliedIndex());
    assertEquals("a", WatchResponse.parseFrom(done.events()).getEvents(0).getKv().getKey().toStringUtf8());
    EtcdResult refused = viaKryo(machine.apply(put("b", "1", 77), new AppliedEntry(6, 3, 1001)));
    assertEquals(new EtcdResult.Refused(EtcdError.LEASE_NOT_FOUND, 2, 3, 6), refused);
  }

  @Test
  void aSnapshotThroughKryoRestoresTheStoreTheLeasesAndTheAppliedPosition() throws Exception {
    EtcdStateMachine machine = new EtcdStateMachine();
    machine.apply(new EtcdCommand.LeaseGrant(9, 30), new AppliedEntry(1, 1, 500));
    machine.apply(put("a", "1", 9), new AppliedEntry(2, 1, 501));
    machine.apply(put("a", "2", 0), new AppliedEntry(3, 1, 502));
    machine.apply(new EtcdCommand.Compact(3), new AppliedEntry(4, 1, 503));
    EtcdStateMachine restored = new EtcdStateMachine();
    restored.restore(viaKryo(machine.snapshot()));
    assertArrayEquals(machine.store().toBytes(), restored.store().toBytes());
    assertEquals(500, restored.store().lease(9).orElseThrow().grantedAtMillis());
    EtcdResult.Done read = (EtcdResult.Done) restored.query(new EtcdQuery.Range(RangeRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8("a")).build().toByteArray()));
    assertEquals("2", RangeResponse.parseFrom(read.response()).getKvs(0).getValue().toStringUtf8());
    assertEquals(4, read.appliedIndex());
    assertEquals(new EtcdResult.Refused(EtcdError.COMPACTED, 3, 1, 4),
        restored.query(new EtcdQuery.Events(2, 10)));
  }

  @Test
  void watchsReadOfTheEventLogCarriesTheCompactionRevisionInsteadOfARefusal() throws Exception {
    EtcdStateMachine machine = new EtcdStateMachine();
    machine.apply(put("a", "1", 0), new AppliedEntry(1, 1, 500));
    machine.apply(put("a", "2", 0), new AppliedEntry(2, 1, 501));
    machine.apply(put("b", "1", 0), new AppliedEntry(3, 1, 502));
    machine.apply(new EtcdCommand.Compact(3), new AppliedEntry(4, 1, 503));
    // below the compaction revision: no events, and the revision the watch is cancelled with
    EtcdResult.Done below = assertInstanceOf(EtcdResult.Done.class,
        viaKryo(machine.query(viaKryo(new EtcdQuery.Watch(2, 10)))));
    assertEquals(3, WatchResponse.parseFrom(below.response()).getCompactRevision());
    assertEquals(0, below.events().length);
    assertEquals(4, below.appliedIndex());
    // from it on: the events, at most maxRevisions revisions of them
    EtcdResult.Done from = (EtcdResult.Done) machine.query(new EtcdQuery.Watch(3, 1));
    assertEquals(3, WatchResponse.parseFrom(from.response()).getCompactRevision());
    assertEquals(List.of(3L), WatchResponse.parseFrom(from.events()).getEventsList().stream()
        .map(e -> e.getKv().getModRevision()).toList());
    assertEquals(4, from.revision());
  }
}
