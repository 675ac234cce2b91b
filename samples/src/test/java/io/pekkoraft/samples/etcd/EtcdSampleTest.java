package io.pekkoraft.samples.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.pekkoraft.consensus.testing.LocalPorts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The etcd sample serves etcd clients as the README says: its three members started (on free ports here), a put
 * through one member's endpoint is read through another's, with jetcd.
 */
class EtcdSampleTest {

  static ByteSequence bs(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  @Test
  void aPutThroughOneMemberIsReadThroughAnother(@TempDir Path data) throws Exception {
    List<Integer> peers = LocalPorts.free(3);
    try (EtcdSample sample = EtcdSample.start(List.of(0, 0, 0), peers, data)) {
      List<Integer> ports = List.copyOf(sample.clientPorts().values());
      try (Client first = Client.builder().endpoints("http://127.0.0.1:" + ports.get(0)).build();
          Client third = Client.builder().endpoints("http://127.0.0.1:" + ports.get(2)).build()) {
        first.getKVClient().put(bs("foo"), bs("bar")).get(30, TimeUnit.SECONDS);
        var got = third.getKVClient().get(bs("foo")).get(30, TimeUnit.SECONDS);
        assertEquals(1, got.getCount());
        assertEquals("bar", got.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8));
      }
    }
    assertTrue(Files.isDirectory(data.resolve("node-1").resolve("journal")), "the Raft log is under the data dir");
  }
}
