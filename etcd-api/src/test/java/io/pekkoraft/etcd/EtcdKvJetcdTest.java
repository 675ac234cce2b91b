package io.pekkoraft.etcd;

import static io.pekkoraft.etcd.EtcdTestCluster.await;
import static io.pekkoraft.etcd.EtcdTestCluster.bs;
import static io.pekkoraft.etcd.EtcdTestCluster.failure;
import static io.pekkoraft.etcd.EtcdTestCluster.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The etcd KV API driven by jetcd, etcd's Java client, against three members: writes through one member's gateway
 * are read through another's, with etcd's revisions, headers and errors. Each test uses keys of its own.
 */
class EtcdKvJetcdTest {

  static EtcdTestCluster etcd;

  @BeforeAll
  static void start() throws Exception {
    etcd = new EtcdTestCluster();
  }

  @AfterAll
  static void stop() {
    if (etcd != null) etcd.close();
  }

  KV leaderKv() {
    return etcd.client(etcd.leader()).getKVClient();
  }

  KV followerKv() {
    return etcd.client(etcd.follower()).getKVClient();
  }

  @Test
  void putThenGetThroughAnotherMemberWithRevisionsAndHeader() throws Exception {
    // A Put through the leader's gateway is read linearizably through a follower's, with etcd's header fields.
    PutResponse first = await(leaderKv().put(bs("hdr/a"), bs("1")));
    PutResponse second = await(followerKv().put(bs("hdr/a"), bs("2"), PutOption.builder().withPrevKV().build()));
    assertEquals(first.getHeader().getRevision() + 1, second.getHeader().getRevision());
    assertTrue(second.hasPrevKv());
    assertEquals("1", str(second.getPrevKv().getValue()));
    GetResponse got = await(followerKv().get(bs("hdr/a")));
    assertEquals(1, got.getCount());
    assertEquals("2", str(got.getKvs().get(0).getValue()));
    assertEquals(2, got.getKvs().get(0).getVersion());
    assertEquals(first.getHeader().getRevision(), got.getKvs().get(0).getCreateRevision());
    assertEquals(second.getHeader().getRevision(), got.getKvs().get(0).getModRevision());
    assertEquals(EtcdIds.clusterId("etcd"), got.getHeader().getClusterId());
    assertEquals(EtcdIds.memberId(etcd.follower()), got.getHeader().getMemberId());
    assertTrue(got.getHeader().getRaftTerm() > 0, "raft term in " + got.getHeader());
    GetResponse serializable = await(followerKv().get(bs("hdr/a"), GetOption.builder().withSerializable(true).build()));
    assertTrue(serializable.getHeader().getRevision() <= got.getHeader().getRevision());
  }

  @Test
  void prefixLimitKeysOnlyCountOnlySortAndOlderRevisions() throws Exception {
    KV kv = leaderKv();
    long r1 = await(kv.put(bs("pfx/b"), bs("vb"))).getHeader().getRevision();
    await(kv.put(bs("pfx/a"), bs("va")));
    await(kv.put(bs("pfx/c"), bs("vc")));
    await(kv.put(bs("pfy"), bs("outside")));
    GetResponse all = await(kv.get(bs("pfx/"), GetOption.builder().isPrefix(true).build()));
    assertEquals(List.of("pfx/a", "pfx/b", "pfx/c"), all.getKvs().stream().map(k -> str(k.getKey())).toList());
    GetResponse limited = await(kv.get(bs("pfx/"), GetOption.builder().isPrefix(true).withLimit(2).build()));
    assertEquals(2, limited.getKvs().size());
    assertTrue(limited.isMore());
    assertEquals(3, limited.getCount());
    GetResponse keysOnly = await(kv.get(bs("pfx/"), GetOption.builder().isPrefix(true).withKeysOnly(true).build()));
    assertTrue(keysOnly.getKvs().get(0).getValue().isEmpty());
    GetResponse countOnly = await(kv.get(bs("pfx/"), GetOption.builder().isPrefix(true).withCountOnly(true).build()));
    assertEquals(3, countOnly.getCount());
    assertTrue(countOnly.getKvs().isEmpty());
    GetResponse descending = await(kv.get(bs("pfx/"), GetOption.builder().isPrefix(true)
        .withSortField(GetOption.SortTarget.MOD).withSortOrder(GetOption.SortOrder.DESCEND).build()));
    assertEquals("pfx/c", str(descending.getKvs().get(0).getKey()));
    GetResponse atFirst = await(kv.get(bs("pfx/"), GetOption.builder().isPrefix(true).withRevision(r1).build()));
    assertEquals(List.of("pfx/b"), atFirst.getKvs().stream().map(k -> str(k.getKey())).toList());
    GetResponse fromKey = await(kv.get(bs("pfx/c"), GetOption.builder().withRange(bs("\0")).build()));
    assertEquals(List.of("pfx/c", "pfy"), fromKey.getKvs().stream().map(k -> str(k.getKey())).toList()
        .subList(0, 2));
  }

  @Test
  void deleteWithPrevKvAndAPrefix() throws Exception {
    KV kv = etcd.client("node-1").getKVClient(); // its gateway was bound before the etcd services were added
    await(kv.put(bs("del/a"), bs("1")));
    await(kv.put(bs("del/b"), bs("2")));
    var deleted = await(kv.delete(bs("del/"), DeleteOption.builder().isPrefix(true).withPrevKV(true).build()));
    assertEquals(2, deleted.getDeleted());
    assertEquals("1", str(deleted.getPrevKvs().get(0).getValue()));
    assertEquals(0, await(kv.get(bs("del/a"))).getCount());
    long revision = deleted.getHeader().getRevision();
    var nothing = await(kv.delete(bs("del/none")));
    assertEquals(0, nothing.getDeleted());
    assertEquals(revision, nothing.getHeader().getRevision(), "deleting nothing leaves the revision");
  }

  @Test
  void txnCompareAndSwapWithANestedTxn() throws Exception {
    KV kv = leaderKv();
    await(kv.put(bs("txn/lock"), bs("free")));
    TxnResponse taken = await(kv.txn()
        .If(new Cmp(bs("txn/lock"), Cmp.Op.EQUAL, CmpTarget.value(bs("free"))))
        .Then(Op.put(bs("txn/lock"), bs("mine"), PutOption.DEFAULT),
            Op.txn(new Cmp[] {new Cmp(bs("txn/other"), Cmp.Op.EQUAL, CmpTarget.version(0))},
                new Op[] {Op.put(bs("txn/other"), bs("created"), PutOption.DEFAULT)}, new Op[] {}))
        .Else(Op.get(bs("txn/lock"), GetOption.DEFAULT))
        .commit());
    assertTrue(taken.isSucceeded());
    assertTrue(taken.getTxnResponses().get(0).isSucceeded());
    assertEquals("created", str(await(kv.get(bs("txn/other"))).getKvs().get(0).getValue()));
    TxnResponse lost = await(followerKv().txn()
        .If(new Cmp(bs("txn/lock"), Cmp.Op.EQUAL, CmpTarget.value(bs("free"))))
        .Then(Op.put(bs("txn/lock"), bs("theirs"), PutOption.DEFAULT))
        .Else(Op.get(bs("txn/lock"), GetOption.DEFAULT))
        .commit());
    assertFalse(lost.isSucceeded());
    assertEquals("mine", str(lost.getGetResponses().get(0).getKvs().get(0).getValue()));
    long modRevision = lost.getGetResponses().get(0).getKvs().get(0).getModRevision();
    TxnResponse byRevision = await(kv.txn()
        .If(new Cmp(bs("txn/lock"), Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision)))
        .Then(Op.delete(bs("txn/lock"), DeleteOption.DEFAULT)).commit());
    assertTrue(byRevision.isSucceeded());
    assertEquals(1, byRevision.getDeleteResponses().get(0).getDeleted());
  }

  @Test
  void compactionAndEtcdsErrors() throws Exception {
    KV kv = leaderKv();
    long old = await(kv.put(bs("cmp/a"), bs("1"))).getHeader().getRevision();
    long now = await(kv.put(bs("cmp/a"), bs("2"))).getHeader().getRevision();
    await(kv.compact(now));
    assertTrue(failure(kv.get(bs("cmp/a"), GetOption.builder().withRevision(old).build()))
        .contains("etcdserver: mvcc: required revision has been compacted"));
    assertTrue(failure(kv.get(bs("cmp/a"), GetOption.builder().withRevision(now + 1000).build()))
        .contains("etcdserver: mvcc: required revision is a future revision"));
    assertTrue(failure(kv.compact(now)).contains("etcdserver: mvcc: required revision has been compacted"));
    assertTrue(failure(kv.put(bs("cmp/lease"), bs("x"), PutOption.builder().withLeaseId(12345).build()))
        .contains("etcdserver: requested lease not found"));
    Op[] many = new Op[129];
    for (int i = 0; i < many.length; i++) many[i] = Op.get(bs("cmp/" + i), GetOption.DEFAULT);
    assertTrue(failure(kv.txn().Then(many).commit()).contains("etcdserver: too many operations in txn request"));
    assertTrue(failure(kv.txn().Then(Op.put(bs("cmp/d"), bs("1"), PutOption.DEFAULT),
        Op.put(bs("cmp/d"), bs("2"), PutOption.DEFAULT)).commit())
        .contains("etcdserver: duplicate key given in txn request"));
    byte[] big = new byte[65 * 1024];
    assertTrue(failure(kv.put(bs("cmp/big"), ByteSequence.from(big))).contains("etcdserver: request is too large"));
    assertEquals("2", str(await(kv.get(bs("cmp/a"))).getKvs().get(0).getValue()), "the refusals changed nothing");
  }
}
