package io.pekkoraft.etcd.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.pekkoraft.etcd.api.Compare;
import io.pekkoraft.etcd.api.DeleteRangeRequest;
import io.pekkoraft.etcd.api.Event;
import io.pekkoraft.etcd.api.KeyValue;
import io.pekkoraft.etcd.api.PutRequest;
import io.pekkoraft.etcd.api.RangeRequest;
import io.pekkoraft.etcd.api.RangeResponse;
import io.pekkoraft.etcd.api.RequestOp;
import io.pekkoraft.etcd.api.TxnRequest;
import io.pekkoraft.etcd.api.TxnResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The MVCC store on its own: pure and deterministic, one rule of etcd's key-value semantics per test. */
class MvccStoreTest {

  private final MvccStore store = new MvccStore();

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static PutRequest put(String key, String value) {
    return PutRequest.newBuilder().setKey(b(key)).setValue(b(value)).build();
  }

  static RangeRequest get(String key) {
    return RangeRequest.newBuilder().setKey(b(key)).build();
  }

  static RangeRequest prefix(String prefix) {
    byte[] end = prefix.getBytes();
    end[end.length - 1]++;
    return RangeRequest.newBuilder().setKey(b(prefix)).setRangeEnd(ByteString.copyFrom(end)).build();
  }

  static RequestOp op(PutRequest put) {
    return RequestOp.newBuilder().setRequestPut(put).build();
  }

  static RequestOp op(RangeRequest range) {
    return RequestOp.newBuilder().setRequestRange(range).build();
  }

  static RequestOp op(DeleteRangeRequest delete) {
    return RequestOp.newBuilder().setRequestDeleteRange(delete).build();
  }

  static RequestOp op(TxnRequest txn) {
    return RequestOp.newBuilder().setRequestTxn(txn).build();
  }

  static DeleteRangeRequest del(String key) {
    return DeleteRangeRequest.newBuilder().setKey(b(key)).build();
  }

  static Compare valueIs(String key, String value) {
    return Compare.newBuilder().setKey(b(key)).setTarget(Compare.CompareTarget.VALUE)
        .setResult(Compare.CompareResult.EQUAL).setValue(b(value)).build();
  }

  static Compare versionIs(String key, Compare.CompareResult result, long version) {
    return Compare.newBuilder().setKey(b(key)).setTarget(Compare.CompareTarget.VERSION).setResult(result)
        .setVersion(version).build();
  }

  EtcdError refused(Runnable request) {
    return assertThrows(EtcdException.class, request::run).error();
  }

  List<String> keys(RangeResponse response) {
    return response.getKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList();
  }

  @Test
  void eachWriteMovesTheRevisionByOneAndStampsItsKeys() {
    // The store starts at revision 1; a Put makes 2; create_revision stays, mod_revision and version move.
    assertEquals(1, store.revision());
    assertEquals(2, store.put(put("a", "1")).revision());
    assertEquals(3, store.put(put("a", "2")).revision());
    KeyValue a = store.range(get("a")).getKvs(0);
    assertEquals(2, a.getCreateRevision());
    assertEquals(3, a.getModRevision());
    assertEquals(2, a.getVersion());
    assertEquals("2", a.getValue().toStringUtf8());
    assertEquals(3, store.range(get("a")).getHeader().getRevision());
  }

  @Test
  void aDeleteThatDeletesNothingAndAReadOnlyTxnLeaveTheRevision() {
    store.put(put("a", "1"));
    assertEquals(0, store.deleteRange(del("zz")).response().getDeleted());
    assertEquals(2, store.revision());
    store.txn(TxnRequest.newBuilder().addSuccess(op(get("a"))).build());
    assertEquals(2, store.revision());
    assertTrue(MvccStore.readOnly(TxnRequest.newBuilder().addSuccess(op(get("a"))).build()));
  }

  @Test
  void aKeyRecreatedAfterADeleteStartsAgainAtVersionOne() {
    store.put(put("a", "1"));
    store.put(put("a", "2"));
    var deleted = store.deleteRange(DeleteRangeRequest.newBuilder().setKey(b("a")).setPrevKv(true).build());
    assertEquals(4, deleted.revision());
    assertEquals("2", deleted.response().getPrevKvs(0).getValue().toStringUtf8());
    store.put(put("a", "3"));
    KeyValue a = store.range(get("a")).getKvs(0);
    assertEquals(1, a.getVersion());
    assertEquals(5, a.getCreateRevision());
  }

  @Test
  void readsAtAnOlderRevisionSeeThatRevision() {
    store.put(put("a", "1")); // 2
    store.put(put("b", "1")); // 3
    store.put(put("a", "2")); // 4
    store.deleteRange(del("b")); // 5
    assertEquals("1", store.range(get("a").toBuilder().setRevision(3).build()).getKvs(0).getValue().toStringUtf8());
    assertEquals(List.of("a", "b"), keys(store.range(RangeRequest.newBuilder().setKey(b("a"))
        .setRangeEnd(ByteString.copyFrom(new byte[] {0})).setRevision(4).build())));
    assertEquals(List.of("a"), keys(store.range(RangeRequest.newBuilder().setKey(b("a"))
        .setRangeEnd(ByteString.copyFrom(new byte[] {0})).build())));
    assertEquals(0, store.range(get("a").toBuilder().setRevision(1).build()).getCount());
    assertEquals(EtcdError.FUTURE_REVISION, refused(() -> store.range(get("a").toBuilder().setRevision(6).build())));
  }

  @Test
  void rangeLimitCountKeysOnlyAndSort() {
    for (String key : List.of("k3", "k1", "k2", "l")) store.put(put(key, "v-" + key));
    RangeResponse limited = store.range(prefix("k").toBuilder().setLimit(2).build());
    assertEquals(List.of("k1", "k2"), keys(limited));
    assertTrue(limited.getMore());
    assertEquals(3, limited.getCount());
    RangeResponse countOnly = store.range(prefix("k").toBuilder().setCountOnly(true).build());
    assertEquals(3, countOnly.getCount());
    assertEquals(0, countOnly.getKvsCount());
    assertTrue(store.range(prefix("k").toBuilder().setKeysOnly(true).build()).getKvs(0).getValue().isEmpty());
    RangeResponse byModDescending = store.range(prefix("k").toBuilder().setSortOrder(RangeRequest.SortOrder.DESCEND)
        .setSortTarget(RangeRequest.SortTarget.MOD).build());
    assertEquals(List.of("k2", "k1", "k3"), keys(byModDescending));
    RangeResponse filtered = store.range(prefix("k").toBuilder().setMinModRevision(3).setMaxModRevision(3).build());
    assertEquals(List.of("k1"), keys(filtered));
  }

  @Test
  void compactionDropsWhatNoReadCanSeeAndRefusesOlderReads() {
    store.put(put("a", "1")); // 2
    store.put(put("a", "2")); // 3
    store.put(put("gone", "x")); // 4
    store.deleteRange(del("gone")); // 5
    store.compact(4);
    assertEquals(EtcdError.COMPACTED, refused(() -> store.range(get("a").toBuilder().setRevision(3).build())));
    assertEquals("2", store.range(get("a").toBuilder().setRevision(4).build()).getKvs(0).getValue().toStringUtf8());
    assertEquals(EtcdError.COMPACTED, refused(() -> store.compact(4)));
    assertEquals(EtcdError.FUTURE_REVISION, refused(() -> store.compact(6)));
    assertEquals(EtcdError.COMPACTED, refused(() -> store.eventsFrom(3, 10)));
    store.compact(5);
    assertEquals(0, store.range(get("gone").toBuilder().setRevision(5).build()).getCount());
    assertEquals(5, store.compactRevision());
  }

  @Test
  void theEventLogHoldsEachRevisionsChangesWithThePreviousValue() {
    store.put(put("a", "1")); // 2
    store.txn(TxnRequest.newBuilder().addSuccess(op(put("a", "2"))).addSuccess(op(put("b", "1"))).build()); // 3
    store.deleteRange(del("a")); // 4
    List<Event> events = store.eventsFrom(3, 10);
    assertEquals(3, events.size());
    assertEquals(Event.EventType.PUT, events.get(0).getType());
    assertEquals("1", events.get(0).getPrevKv().getValue().toStringUtf8());
    assertEquals(3, events.get(1).getKv().getModRevision());
    assertEquals(Event.EventType.DELETE, events.get(2).getType());
    assertEquals(4, events.get(2).getKv().getModRevision());
    assertEquals(3, store.eventsFrom(2, 2).size(), "revisions 2 (one put) and 3 (two) only");
  }

  @Test
  void aTxnChoosesItsBranchByItsComparesAndAppliesItAtOneRevision() {
    store.put(put("a", "1")); // 2
    TxnRequest cas = TxnRequest.newBuilder().addCompare(valueIs("a", "1"))
        .addSuccess(op(put("a", "2"))).addSuccess(op(put("b", "2"))).addSuccess(op(get("a")))
        .addFailure(op(get("a"))).build();
    MvccStore.Written<TxnResponse> first = store.txn(cas);
    assertTrue(first.response().getSucceeded());
    assertEquals(3, first.revision());
    assertEquals("2", first.response().getResponses(2).getResponseRange().getKvs(0).getValue().toStringUtf8(),
        "a range inside the Txn sees the Txn's own earlier writes");
    MvccStore.Written<TxnResponse> second = store.txn(cas);
    assertFalse(second.response().getSucceeded());
    assertEquals(3, second.revision(), "the failure branch only reads");
  }

  @Test
  void comparesOnVersionsRevisionsMissingKeysAndRanges() {
    store.put(put("k1", "x")); // 2
    store.put(put("k2", "y")); // 3
    assertTrue(chosen(versionIs("missing", Compare.CompareResult.EQUAL, 0)), "a missing key has version 0");
    assertFalse(chosen(valueIs("missing", "")), "a VALUE compare on a missing key fails");
    assertTrue(chosen(Compare.newBuilder().setKey(b("k1")).setTarget(Compare.CompareTarget.MOD)
        .setResult(Compare.CompareResult.LESS).setModRevision(3).build()));
    assertTrue(chosen(Compare.newBuilder().setKey(b("k1")).setTarget(Compare.CompareTarget.CREATE)
        .setResult(Compare.CompareResult.NOT_EQUAL).setCreateRevision(3).build()));
    Compare rangeGreater = versionIs("k", Compare.CompareResult.GREATER, 0).toBuilder().setRangeEnd(b("l")).build();
    assertTrue(chosen(rangeGreater), "every key of the range has a version above 0");
    Compare lease = Compare.newBuilder().setKey(b("k1")).setTargetValue(MvccStore.LEASE_TARGET)
        .setUnknownFields(UnknownFieldSet.newBuilder().addField(8, UnknownFieldSet.Field.newBuilder()
            .addVarint(0).build()).build()).build();
    assertTrue(chosen(lease), "etcd's LEASE compare, carried as unknown fields: k1 has no lease");
  }

  boolean chosen(Compare compare) {
    return store.txn(TxnRequest.newBuilder().addCompare(compare).build()).response().getSucceeded();
  }

  @Test
  void nestedTxnsChooseTheirBranchesOnTheStateBeforeTheOuterTxn() {
    store.put(put("a", "1")); // 2
    TxnRequest inner = TxnRequest.newBuilder().addCompare(valueIs("a", "1"))
        .addSuccess(op(put("inner", "saw-a-1"))).addFailure(op(put("inner", "saw-other"))).build();
    TxnRequest outer = TxnRequest.newBuilder().addSuccess(op(put("a", "2"))).addSuccess(op(inner)).build();
    MvccStore.Written<TxnResponse> done = store.txn(outer);
    assertEquals(3, done.revision());
    assertTrue(done.response().getResponses(1).getResponseTxn().getSucceeded());
    assertEquals("saw-a-1", store.range(get("inner")).getKvs(0).getValue().toStringUtf8());
  }

  @Test
  void duplicateKeysInATxnAreRefusedBeforeAnythingChanges() {
    TxnRequest twice = TxnRequest.newBuilder().addSuccess(op(put("a", "1"))).addSuccess(op(put("a", "2"))).build();
    assertEquals(EtcdError.DUPLICATE_KEY, refused(() -> store.txn(twice)));
    TxnRequest putInDeleted = TxnRequest.newBuilder().addSuccess(op(put("k1", "1")))
        .addSuccess(op(DeleteRangeRequest.newBuilder().setKey(b("k")).setRangeEnd(b("l")).build())).build();
    assertEquals(EtcdError.DUPLICATE_KEY, refused(() -> store.txn(putInDeleted)));
    TxnRequest nestedTwice = TxnRequest.newBuilder().addSuccess(op(put("a", "1")))
        .addSuccess(op(TxnRequest.newBuilder().addFailure(op(put("a", "2"))).build())).build();
    assertEquals(EtcdError.DUPLICATE_KEY, refused(() -> store.txn(nestedTwice)));
    TxnRequest bothBranches = TxnRequest.newBuilder().addSuccess(op(put("a", "1"))).addFailure(op(put("a", "2")))
        .build();
    store.txn(bothBranches); // a key in both branches is fine: only one runs
    assertEquals(2, store.revision(), "only the allowed Txn changed the store");
  }

  @Test
  void tooManyOperationsAtAnyLevelAreRefused() {
    TxnRequest.Builder big = TxnRequest.newBuilder();
    for (int i = 0; i <= 128; i++) big.addSuccess(op(get("k" + i)));
    assertEquals(EtcdError.TOO_MANY_OPS, refused(() -> MvccStore.checkTxn(big.build(), 128)));
    TxnRequest nested = TxnRequest.newBuilder().addSuccess(op(big.build())).build();
    assertEquals(EtcdError.TOO_MANY_OPS, refused(() -> MvccStore.checkTxn(nested, 128)));
    MvccStore.checkTxn(big.build(), 129);
  }

  @Test
  void putFlagsAndLeasesFollowEtcd() {
    assertEquals(EtcdError.KEY_NOT_FOUND,
        refused(() -> store.put(put("a", "").toBuilder().setIgnoreValue(true).build())));
    assertEquals(EtcdError.VALUE_PROVIDED,
        refused(() -> MvccStore.checkPutFlags(put("a", "x").toBuilder().setIgnoreValue(true).build())));
    assertEquals(EtcdError.LEASE_PROVIDED,
        refused(() -> MvccStore.checkPutFlags(put("a", "").toBuilder().setIgnoreLease(true).setLease(7).build())));
    assertEquals(EtcdError.LEASE_NOT_FOUND, refused(() -> store.put(put("a", "1").toBuilder().setLease(7).build())));
    assertEquals(1, store.revision());

    store.grantLease(7, 60, 1000);
    assertEquals(EtcdError.LEASE_EXISTS, refused(() -> store.grantLease(7, 60, 1000)));
    store.put(put("a", "1").toBuilder().setLease(7).build()); // 2
    store.put(put("b", "1").toBuilder().setLease(7).build()); // 3
    store.put(PutRequest.newBuilder().setKey(b("a")).setIgnoreValue(true).setIgnoreLease(true).build()); // 4
    KeyValue a = store.range(get("a")).getKvs(0);
    assertEquals("1", a.getValue().toStringUtf8());
    assertEquals(7, a.getLease());
    store.put(put("b", "2")); // 5: b leaves the lease
    assertEquals(List.of(b("a")), List.copyOf(store.lease(7).orElseThrow().keys()));
    var revoked = store.revokeLease(7);
    assertEquals(6, revoked.revision());
    assertEquals(0, store.range(get("a")).getCount());
    assertEquals(1, store.range(get("b")).getCount());
    assertTrue(store.lease(7).isEmpty());
  }

  @Test
  void aSnapshotRestoresEverything() {
    store.put(put("a", "1"));
    store.put(put("a", "2"));
    store.grantLease(9, 10, 5);
    store.put(put("b", "1").toBuilder().setLease(9).build());
    store.deleteRange(del("a"));
    store.compact(3);
    MvccStore restored = MvccStore.fromBytes(store.toBytes());
    assertArrayEquals(store.toBytes(), restored.toBytes());
    assertEquals(store.revision(), restored.revision());
    assertEquals(3, restored.compactRevision());
    assertEquals(store.eventsFrom(3, 100), restored.eventsFrom(3, 100));
    assertEquals(store.range(get("a").toBuilder().setRevision(4).build()),
        restored.range(get("a").toBuilder().setRevision(4).build()));
    assertEquals(List.of(b("b")), List.copyOf(restored.lease(9).orElseThrow().keys()));
  }
}
