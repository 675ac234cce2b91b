package io.pekkoraft.consensus.behavior;

import com.esotericsoftware.kryo.Kryo;
import io.pekkoraft.persistence.serialization.KryoRegistrar;

public final class TestKryoRegistrar implements KryoRegistrar {

  public TestKryoRegistrar() {}

  @Override
  public void register(Kryo kryo) {
    kryo.register(TestCounter.Add.class, 1100);
    kryo.register(TestCounter.Get.class, 1101);
    kryo.register(TestCounter.Added.class, 1102);
    kryo.register(TestCounter.GetWhenAtLeast.class, 1103);
  }
}
