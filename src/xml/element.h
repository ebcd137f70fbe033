#pragma once
// The stanza tree: elements, attributes and text, all living in one Document.
//
// Why an arena: a c2s connection turns every stanza into a tree, and most stanzas
// are forwarded and forgotten within microseconds. Allocating each node, name and
// attribute separately would be several heap calls per stanza (the message path avoids
// that churn). Instead a Document owns a few large blocks; nodes are placement-new'd
// into them and every string is a std::string_view into the same blocks. clear()
// rewinds the arena and keeps its blocks, so a warmed-up StreamParser builds each
// new stanza without touching the heap at all.
//
// Consequences (the contract):
// - Every Node, Element, Attribute and string_view obtained from a Document is valid
//   until that Document is cleared or destroyed. Nothing is freed individually.
// - Nodes are trivially destructible; removing a child only unlinks it.
// - To keep a stanza beyond its Document's life, copy it: keep the raw bytes (cheapest)
//   or Document::clone() it into a Document of your own.
// - A Document is not thread-safe; it belongs to one connection's strand.
//
// Names are namespace-resolved: an element has a local name, a namespace URI and the
// prefix it was written with (empty for the default namespace); the serializer
// re-creates the xmlns declarations from those, so none are stored as attributes.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace convene::xml {

inline constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";

// Bump allocator in blocks. Blocks survive reset() (up to a cap) so steady-state
// parsing does no heap allocation; a freak large stanza does not pin its memory.
class Arena {
 public:
  explicit Arena(size_t first_block = 4096) : first_block_(first_block) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* allocate(size_t size, size_t align = alignof(std::max_align_t));
  std::string_view copy(std::string_view text);
  // Rewind; keeps at most `keep_bytes` of blocks for reuse.
  void reset(size_t keep_bytes = 64 * 1024);
  // Give every block back (an idle connection).
  void release();
  size_t capacity() const;

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size;
  };
  std::vector<Block> blocks_;
  size_t current_ = 0;  // index of the block being filled
  size_t used_ = 0;     // bytes used in blocks_[current_]
  size_t first_block_;
};

class Document;
class Element;

struct Attribute {
  std::string_view name;    // local name
  std::string_view ns;      // empty for ordinary (unprefixed) attributes
  std::string_view prefix;  // as written, e.g. "xml" for xml:lang
  std::string_view value;   // unescaped
};

class Node {
 public:
  bool is_element() const { return kind_ == Kind::element; }
  bool is_text() const { return kind_ == Kind::text; }
  inline Element* as_element();
  inline const Element* as_element() const;
  // The character data of a text node (unescaped); empty for elements.
  std::string_view text_value() const { return text_; }
  Node* next_sibling() const { return next_; }
  Element* parent() const { return parent_; }

 protected:
  enum class Kind : uint8_t { element, text };
  explicit Node(Kind kind) : kind_(kind) {}
  Kind kind_;
  std::string_view text_;
  Node* next_ = nullptr;
  Element* parent_ = nullptr;
  friend class Element;
};

class Element : public Node {
 public:
  std::string_view name() const { return name_; }
  std::string_view ns() const { return ns_; }
  std::string_view prefix() const { return prefix_; }
  Document& document() const { return *doc_; }

  // Attributes ---------------------------------------------------------------
  // Value of an unprefixed attribute, empty when absent (XMPP treats both alike).
  std::string_view attr(std::string_view name) const;
  const Attribute* find_attr(std::string_view name, std::string_view ns = {}) const;
  const Attribute* attrs_begin() const { return attrs_; }
  const Attribute* attrs_end() const { return attrs_ + attr_count_; }
  size_t attr_count() const { return attr_count_; }
  // Replace or add; copies name and value into the Document.
  Element& set_attr(std::string_view name, std::string_view value);
  Element& set_attr(const Attribute& attribute);
  bool remove_attr(std::string_view name, std::string_view ns = {});

  // Children -----------------------------------------------------------------
  Node* first_child() const { return first_; }
  // First child element with this name and namespace.
  Element* find_child(std::string_view name, std::string_view ns) const;
  // First child element with this name in this element's own namespace (as in
  // <message><body/>, where body inherits jabber:client).
  Element* find_child(std::string_view name) const { return find_child(name, ns_); }
  // First child element of any name in this namespace (e.g. the payload of an <iq/>).
  Element* find_child_ns(std::string_view ns) const;
  Element* first_child_element() const;
  // The first run of character data directly inside; for mixed content walk the
  // children. Returns a view, so costs nothing.
  std::string_view text() const;

  // New child in the given namespace, prefix-free; the returned element is owned by
  // the Document.
  Element& add_child(std::string_view name, std::string_view ns);
  Element& add_child(std::string_view name) { return add_child(name, ns_); }
  Element& add_text(std::string_view text);
  // The same for text that already lives in this element's Document (a reader's fast path).
  Element& add_text_no_copy(std::string_view text);
  // Link an element of the same Document as the last child.
  Element& append(Element& child);
  // Link a copy of an element from another (or this) Document as the last child.
  Element& append_copy(const Element& other);
  void remove_child(Node& child);
  void clear_children() { first_ = last_ = nullptr; }

  // Range over child elements (text nodes skipped).
  class ElementIterator {
   public:
    explicit ElementIterator(Node* n) : n_(skip(n)) {}
    Element& operator*() const { return *n_->as_element(); }
    Element* operator->() const { return n_->as_element(); }
    ElementIterator& operator++() {
      n_ = skip(n_->next_sibling());
      return *this;
    }
    bool operator==(const ElementIterator& o) const { return n_ == o.n_; }

   private:
    static Node* skip(Node* n) {
      while (n && !n->is_element()) n = n->next_sibling();
      return n;
    }
    Node* n_;
  };
  struct ElementRange {
    Node* first;
    ElementIterator begin() const { return ElementIterator(first); }
    ElementIterator end() const { return ElementIterator(nullptr); }
  };
  ElementRange children() const { return {first_}; }

 private:
  friend class Document;
  Element(Document* doc, std::string_view name, std::string_view ns, std::string_view prefix)
      : Node(Kind::element), doc_(doc), name_(name), ns_(ns), prefix_(prefix) {}
  void link(Node* child);

  Document* doc_;
  std::string_view name_, ns_, prefix_;
  Attribute* attrs_ = nullptr;
  uint32_t attr_count_ = 0, attr_capacity_ = 0;
  Node* first_ = nullptr;
  Node* last_ = nullptr;
};

inline Element* Node::as_element() {
  return is_element() ? static_cast<Element*>(this) : nullptr;
}
inline const Element* Node::as_element() const {
  return is_element() ? static_cast<const Element*>(this) : nullptr;
}

class Document {
 public:
  explicit Document(size_t first_block = 4096) : arena_(first_block) {}
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  // A detached element; copies name/ns/prefix into the arena.
  Element& create_element(std::string_view name, std::string_view ns,
                          std::string_view prefix = {});
  // Deep copy of an element (from any Document) into this one.
  Element& clone(const Element& other);
  // The parser's fast path: strings already live in this arena, reserve attributes.
  Element& create_element_no_copy(std::string_view name, std::string_view ns,
                                  std::string_view prefix, uint32_t attr_capacity);
  Node& create_text_no_copy(std::string_view text);
  void add_attr_no_copy(Element& element, const Attribute& attribute);

  Element* root() const { return root_; }
  void set_root(Element* root) { root_ = root; }

  std::string_view intern(std::string_view text) { return arena_.copy(text); }
  Arena& arena() { return arena_; }
  // Drop every node; keeps (most of) the memory for the next stanza.
  void clear() {
    root_ = nullptr;
    arena_.reset();
  }
  void release_memory() {
    root_ = nullptr;
    arena_.release();
  }

 private:
  friend class Element;
  Attribute* grow_attrs(Element& element, uint32_t needed);
  Arena arena_;
  Element* root_ = nullptr;
};

}  // namespace convene::xml
