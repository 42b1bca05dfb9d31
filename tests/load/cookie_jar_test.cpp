// The per-user cookie jar: stores, replaces and deletes as the app's Set-Cookie says.
#include "lab/load/cookie_jar.hpp"

#include <gtest/gtest.h>

using scalelab::load::CookieJar;

TEST(CookieJar, StoresReplacesAndDeletes) {
  CookieJar jar;
  EXPECT_EQ(jar.header(), "");
  jar.store("sid=abcdefghijklmnopqrstuv; Path=/; HttpOnly; SameSite=Lax");
  EXPECT_EQ(jar.header(), "sid=abcdefghijklmnopqrstuv");
  jar.store("theme=dark");
  EXPECT_EQ(jar.header(), "sid=abcdefghijklmnopqrstuv; theme=dark");
  jar.store("sid=new; Path=/");
  EXPECT_EQ(jar.get("sid"), "new");
  jar.store("sid=; Path=/; Max-Age=0");
  EXPECT_EQ(jar.get("sid"), "");
  EXPECT_EQ(jar.header(), "theme=dark");
  jar.store("theme=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(jar.header(), "");
  jar.store("garbage");
  jar.store("=novalue");
  EXPECT_EQ(jar.header(), "");
  jar.store("a=1");
  jar.clear();
  EXPECT_EQ(jar.header(), "");
}
