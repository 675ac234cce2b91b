package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;

/** Registers {@link TestMessages} in the application range, as an application's registrar would. */
public final class TestKryoRegistrar implements KryoRegistrar {

  @Override
  public void register(Kryo kryo) {
    kryo.register(TestMessages.Color.class, 1000);
    kryo.register(TestMessages.Greeting.class, 1001);
    kryo.register(TestMessages.Palette.class, 1002);
    kryo.register(TestMessages.Ask.class, 1003);
    kryo.register(TestMessages.Holder.class, 1004);
  }
}
