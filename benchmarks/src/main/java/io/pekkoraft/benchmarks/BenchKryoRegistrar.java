package io.pekkoraft.benchmarks;

import com.esotericsoftware.kryo.Kryo;
import io.pekkoraft.persistence.serialization.KryoRegistrar;

/**
 * Registers the benchmark's command and query with Kryo (ids 1200-1299 belong to the benchmarks). Listed in
 * {@code bench.conf} under {@code pekko-raft.serialization.registrars}. The result, a {@code Long}, and the
 * command's {@code byte[]} are Kryo's own types.
 */
public final class BenchKryoRegistrar implements KryoRegistrar {

  public BenchKryoRegistrar() {}

  @Override
  public void register(Kryo kryo) {
    kryo.register(Register.Add.class, 1200);
    kryo.register(Register.Get.class, 1201);
  }
}
