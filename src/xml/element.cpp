#include "xml/element.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>

namespace convene::xml {

// The arena never runs destructors.
static_assert(std::is_trivially_destructible_v<Element>);
static_assert(std::is_trivially_destructible_v<Node>);
static_assert(std::is_trivially_destructible_v<Attribute>);

// ---- Arena -------------------------------------------------------------------

void* Arena::allocate(size_t size, size_t align) {
  while (current_ < blocks_.size()) {
    Block& b = blocks_[current_];
    uintptr_t base = reinterpret_cast<uintptr_t>(b.data.get());
    size_t offset = ((base + used_ + align - 1) & ~(uintptr_t(align) - 1)) - base;
    if (offset + size <= b.size) {
      used_ = offset + size;
      return b.data.get() + offset;
    }
    // A kept block too small for this request: move on rather than waste the rest
    // of the list (the next ones are at least as large).
    ++current_;
    used_ = 0;
  }
  // Grow geometrically so a large stanza costs O(log n) allocations.
  size_t last = blocks_.empty() ? first_block_ : blocks_.back().size * 2;
  size_t block = std::max(last, size + align);
  blocks_.push_back(Block{std::unique_ptr<char[]>(new char[block]), block});
  current_ = blocks_.size() - 1;
  used_ = 0;
  return allocate(size, align);
}

std::string_view Arena::copy(std::string_view text) {
  if (text.empty()) return {};
  char* p = static_cast<char*>(allocate(text.size(), 1));
  std::memcpy(p, text.data(), text.size());
  return {p, text.size()};
}

void Arena::reset(size_t keep_bytes) {
  size_t kept = 0, n = 0;
  while (n < blocks_.size() && kept + blocks_[n].size <= std::max(keep_bytes, first_block_)) {
    kept += blocks_[n].size;
    ++n;
  }
  blocks_.resize(n);
  current_ = 0;
  used_ = 0;
}

void Arena::release() {
  blocks_.clear();
  blocks_.shrink_to_fit();
  current_ = 0;
  used_ = 0;
}

size_t Arena::capacity() const {
  size_t total = 0;
  for (const Block& b : blocks_) total += b.size;
  return total;
}

// ---- Element -----------------------------------------------------------------

std::string_view Element::attr(std::string_view name) const {
  const Attribute* a = find_attr(name);
  return a ? a->value : std::string_view{};
}

const Attribute* Element::find_attr(std::string_view name, std::string_view ns) const {
  for (uint32_t i = 0; i < attr_count_; ++i) {
    if (attrs_[i].name == name && attrs_[i].ns == ns) return &attrs_[i];
  }
  return nullptr;
}

Element& Element::set_attr(std::string_view name, std::string_view value) {
  return set_attr(Attribute{name, {}, {}, value});
}

Element& Element::set_attr(const Attribute& a) {
  for (uint32_t i = 0; i < attr_count_; ++i) {
    if (attrs_[i].name == a.name && attrs_[i].ns == a.ns) {
      attrs_[i].value = doc_->intern(a.value);
      return *this;
    }
  }
  Attribute copy{doc_->intern(a.name), doc_->intern(a.ns), doc_->intern(a.prefix),
                 doc_->intern(a.value)};
  doc_->add_attr_no_copy(*this, copy);
  return *this;
}

bool Element::remove_attr(std::string_view name, std::string_view ns) {
  for (uint32_t i = 0; i < attr_count_; ++i) {
    if (attrs_[i].name == name && attrs_[i].ns == ns) {
      std::copy(attrs_ + i + 1, attrs_ + attr_count_, attrs_ + i);
      --attr_count_;
      return true;
    }
  }
  return false;
}

Element* Element::find_child(std::string_view name, std::string_view ns) const {
  for (Node* n = first_; n; n = n->next_) {
    Element* e = n->as_element();
    if (e && e->name_ == name && e->ns_ == ns) return e;
  }
  return nullptr;
}

Element* Element::find_child_ns(std::string_view ns) const {
  for (Node* n = first_; n; n = n->next_) {
    Element* e = n->as_element();
    if (e && e->ns_ == ns) return e;
  }
  return nullptr;
}

Element* Element::first_child_element() const {
  for (Node* n = first_; n; n = n->next_) {
    if (Element* e = n->as_element()) return e;
  }
  return nullptr;
}

std::string_view Element::text() const {
  for (Node* n = first_; n; n = n->next_) {
    if (n->is_text()) return n->text_;
  }
  return {};
}

void Element::link(Node* child) {
  child->parent_ = this;
  child->next_ = nullptr;
  if (last_) {
    last_->next_ = child;
  } else {
    first_ = child;
  }
  last_ = child;
}

Element& Element::add_child(std::string_view name, std::string_view ns) {
  Element& child = doc_->create_element(name, ns);
  link(&child);
  return child;
}

Element& Element::add_text(std::string_view text) {
  if (!text.empty()) link(&doc_->create_text_no_copy(doc_->intern(text)));
  return *this;
}

Element& Element::add_text_no_copy(std::string_view text) {
  if (!text.empty()) link(&doc_->create_text_no_copy(text));
  return *this;
}

Element& Element::append(Element& child) {
  link(&child);
  return *this;
}

Element& Element::append_copy(const Element& other) {
  link(&doc_->clone(other));
  return *this;
}

void Element::remove_child(Node& child) {
  Node* prev = nullptr;
  for (Node* n = first_; n; prev = n, n = n->next_) {
    if (n != &child) continue;
    (prev ? prev->next_ : first_) = n->next_;
    if (last_ == n) last_ = prev;
    n->next_ = nullptr;
    n->parent_ = nullptr;
    return;
  }
}

// ---- Document ----------------------------------------------------------------

Element& Document::create_element_no_copy(std::string_view name, std::string_view ns,
                                          std::string_view prefix, uint32_t attr_capacity) {
  void* p = arena_.allocate(sizeof(Element), alignof(Element));
  Element* e = new (p) Element(this, name, ns, prefix);
  if (attr_capacity) grow_attrs(*e, attr_capacity);
  return *e;
}

Element& Document::create_element(std::string_view name, std::string_view ns,
                                  std::string_view prefix) {
  return create_element_no_copy(intern(name), intern(ns), intern(prefix), 0);
}

Node& Document::create_text_no_copy(std::string_view text) {
  // Text nodes are plain Nodes; Element's constructor is private, Node's protected,
  // so build through a tiny local subclass with the same layout.
  struct TextNode : Node {
    explicit TextNode(std::string_view t) : Node(Kind::text) { text_ = t; }
  };
  static_assert(sizeof(TextNode) == sizeof(Node));
  void* p = arena_.allocate(sizeof(TextNode), alignof(TextNode));
  return *new (p) TextNode(text);
}

Attribute* Document::grow_attrs(Element& e, uint32_t needed) {
  if (needed <= e.attr_capacity_) return e.attrs_;
  uint32_t cap = std::max<uint32_t>({needed, e.attr_capacity_ * 2, 4});
  void* p = arena_.allocate(sizeof(Attribute) * cap, alignof(Attribute));
  auto* fresh = static_cast<Attribute*>(p);
  for (uint32_t i = 0; i < e.attr_count_; ++i) new (&fresh[i]) Attribute(e.attrs_[i]);
  e.attrs_ = fresh;
  e.attr_capacity_ = cap;
  return fresh;
}

void Document::add_attr_no_copy(Element& e, const Attribute& a) {
  grow_attrs(e, e.attr_count_ + 1);
  new (&e.attrs_[e.attr_count_++]) Attribute(a);
}

Element& Document::clone(const Element& other) {
  Element& e = create_element_no_copy(intern(other.name_), intern(other.ns_),
                                      intern(other.prefix_), other.attr_count_);
  for (const Attribute* a = other.attrs_begin(); a != other.attrs_end(); ++a) {
    add_attr_no_copy(e, Attribute{intern(a->name), intern(a->ns), intern(a->prefix),
                                  intern(a->value)});
  }
  for (Node* n = other.first_; n; n = n->next_sibling()) {
    if (const Element* child = n->as_element()) {
      e.link(&clone(*child));
    } else {
      e.link(&create_text_no_copy(intern(n->text_value())));
    }
  }
  return e;
}

}  // namespace convene::xml
