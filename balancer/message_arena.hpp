// A bump allocator for parsed headers, so a message costs no heap allocation per field.
// Beast's basic_fields allocates every field (its element, name and value) on its own,
// about 15 times for a small proxied exchange; with malloc and free around them that
// was a fifth of the balancer's user-space instructions. A MessageArena hands that
// memory out by bumping a pointer through a buffer the connection owns, and takes it
// all back at once when the message is done (release()). Headers larger than the inline
// buffer (up to the header limits) spill into heap blocks, returned the same way.
//
// Contract: release() only once every message allocated from the arena is destroyed.
#pragma once

#include <array>
#include <cstddef>
#include <memory_resource>

namespace scalelab::balancer {

template <std::size_t InlineBytes>
class MessageArena {
 public:
  using allocator_type = std::pmr::polymorphic_allocator<char>;

  MessageArena() = default;
  MessageArena(const MessageArena&) = delete;
  MessageArena& operator=(const MessageArena&) = delete;

  allocator_type allocator() { return allocator_type(&resource_); }
  // Takes back everything handed out; the inline buffer serves the next message.
  void release() { resource_.release(); }

 private:
  alignas(std::max_align_t) std::array<std::byte, InlineBytes> inline_;
  std::pmr::monotonic_buffer_resource resource_{inline_.data(), inline_.size(), std::pmr::new_delete_resource()};
};

}  // namespace scalelab::balancer
