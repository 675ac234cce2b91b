package io.pekkoraft.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A codec used from threads that each run once builds no Kryo instance per thread. Pekko gRPC's handlers
 * continue on CompletableFuture async steps, which the JDK runs on a new thread per task when the common pool
 * has a single thread (2 cores): with instances kept per thread, every etcd request built a Kryo (registering
 * every class) and the instance died with its thread.
 */
class KryoCodecThreadsTest {

  @Test
  void threadsThatRunOnceShareThePooledInstances() throws Exception {
    AtomicInteger instances = new AtomicInteger();
    KryoRegistrar counting = kryo -> instances.incrementAndGet(); // runs once on every Kryo the codec builds
    KryoCodec codec = KryoCodec.create(getClass().getClassLoader(), List.of(new TestKryoRegistrar(), counting));
    int before = instances.get();
    for (int i = 0; i < 50; i++) {
      byte[][] bytes = new byte[1][];
      Object[] back = new Object[1];
      Thread once = new Thread(() -> {
        bytes[0] = codec.toBytes("message " + Thread.currentThread().getName());
        back[0] = codec.fromBytes(bytes[0]);
      });
      once.start();
      once.join();
      assertArrayEquals(bytes[0], codec.toBytes(back[0]));
    }
    int built = instances.get() - before;
    assertTrue(built <= 1, "50 threads that each serialized once built " + built + " Kryo instances");
  }
}
