/*
 * Manefa storefront bundle (demo of a Wix Stores-like, JavaScript-only shop).
 *
 * The server sends the same small shell for every page; this script reads the viewer
 * model, fetches the store's JSON API and renders the page and its SEO head (title,
 * meta description, canonical, robots, Open Graph, hreflang, JSON-LD). When a page is
 * complete, #SITE_CONTAINER gets data-rendered="true" (what a crawler waits for);
 * "error" when the API could not be reached.
 *
 * Vanilla JS, no dependencies, no build step.
 */
(function () {
  "use strict";

  const model = JSON.parse(document.getElementById("wix-viewer-model").textContent);
  const BASE = model.site.externalBaseUrl; // absolute, ends with "/"
  const API = model.api.base;
  const SHOP = model.site.siteDisplayName;
  const CURRENCY = model.site.currency;
  // Hidden in the footer; robots.txt disallows it, so a polite crawler never follows it.
  const TRAP_PATH = "trap/do-not-follow";
  const SCHEMA = "https://schema.org/";
  const COLOUR_OPTIONS = ["Χρώμα", "Colour", "Color"];
  const SIZE_OPTIONS = ["Μέγεθος", "Size"];

  const TEXTS = {
    el: {
      home: "Αρχική",
      shop: "Κατάστημα",
      cart: "Καλάθι",
      inStock: "Σε απόθεμα",
      outOfStock: "Εξαντλήθηκε",
      onRequest: "Τιμή κατόπιν επικοινωνίας",
      addToCart: "Προσθήκη στο καλάθι",
      contactUs: "Επικοινωνήστε μαζί μας",
      sku: "Κωδικός",
      products: "προϊόντα",
      brand: "Μάρκα",
      details: "Πληροφορίες προϊόντος",
      related: "Μπορεί επίσης να σας αρέσουν",
      previous: "Προηγούμενη",
      next: "Επόμενη",
      pages: "Σελίδες",
      choose: "Επιλέξτε",
      noProducts: "Δεν υπάρχουν προϊόντα σε αυτή την κατηγορία.",
      featured: "Νέες αφίξεις",
      seeAll: "Δείτε όλα τα προϊόντα",
      tagline: "Νήματα και εργαλεία πλεξίματος",
      siteDescription: "Νήματα, βελόνες, βελονάκια και αξεσουάρ πλεξίματος με αποστολή σε όλη την Ελλάδα.",
      shopDescription: "Όλα τα προϊόντα του καταστήματος: νήματα, βελόνες, βελονάκια και αξεσουάρ.",
      categoryDescription: "Προϊόντα της κατηγορίας",
      notFound: "Η σελίδα δεν βρέθηκε",
      notFoundText: "Η σελίδα που ζητήσατε δεν υπάρχει ή έχει μετακινηθεί.",
      loadError: "Κάτι πήγε στραβά. Ανανεώστε τη σελίδα.",
      cookies: "Χρησιμοποιούμε cookies για να βελτιώσουμε την εμπειρία σας στον ιστότοπο.",
      accept: "Αποδοχή",
      rights: "Με την επιφύλαξη παντός δικαιώματος.",
    },
    en: {
      home: "Home",
      shop: "Shop",
      cart: "Cart",
      inStock: "In stock",
      outOfStock: "Out of stock",
      onRequest: "Price on request",
      addToCart: "Add to cart",
      contactUs: "Contact us",
      sku: "SKU",
      products: "products",
      brand: "Brand",
      details: "Product info",
      related: "You might also like",
      previous: "Previous",
      next: "Next",
      pages: "Pages",
      choose: "Select",
      noProducts: "There are no products in this category.",
      featured: "New arrivals",
      seeAll: "See all products",
      tagline: "Yarns and knitting tools",
      siteDescription: "Yarns, needles, crochet hooks and knitting accessories, shipped all over Greece.",
      shopDescription: "All products: yarns, needles, crochet hooks and accessories.",
      categoryDescription: "Products in",
      notFound: "Page not found",
      notFoundText: "The page you asked for does not exist or has moved.",
      loadError: "Something went wrong. Please reload the page.",
      cookies: "We use cookies to improve your experience on this site.",
      accept: "Accept",
      rights: "All rights reserved.",
    },
  };

  const container = document.getElementById("SITE_CONTAINER");
  const route = currentRoute();
  const T = TEXTS[route.lang] || TEXTS.el;

  // --- helpers ------------------------------------------------------------------------

  function esc(value) {
    const entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
    return String(value === null || value === undefined ? "" : value).replace(/[&<>"']/g, (c) => entities[c]);
  }

  function htmlToText(html) {
    // DOMParser documents are inert: no script runs, no image loads.
    return new DOMParser().parseFromString(html || "", "text/html").body.textContent.trim();
  }

  function url(path) {
    return BASE + path;
  }

  function categoryUrl(slug) {
    return url("category/" + encodeURIComponent(slug));
  }

  function productUrl(product) {
    return url(product.productPageUrl.path);
  }

  function currentRoute() {
    const basePath = new URL(BASE).pathname;
    const path = location.pathname;
    let rel = path.startsWith(basePath) ? path.slice(basePath.length) : "";
    let lang = model.site.language;
    if (rel === "en" || rel.startsWith("en/")) {
      rel = rel.slice(3);
      lang = "en";
    }
    rel = rel.replace(/\/+$/, "");
    const page = Math.max(1, parseInt(new URLSearchParams(location.search).get("page") || "1", 10) || 1);
    const base = { path: rel, page: page, lang: lang };
    let match;
    if (rel === "") return Object.assign(base, { name: "home" });
    if (rel === "shop") return Object.assign(base, { name: "shop" });
    if ((match = rel.match(/^category\/([^/]+)$/))) {
      return Object.assign(base, { name: "category", slug: decodeURIComponent(match[1]) });
    }
    if ((match = rel.match(/^product-page\/([^/]+)$/))) {
      return Object.assign(base, { name: "product", slug: decodeURIComponent(match[1]) });
    }
    return Object.assign(base, { name: "notFound" });
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  class HttpError extends Error {
    constructor(status, path) {
      super("HTTP " + status + " for " + path);
      this.status = status;
    }
  }

  // Busy servers answer 429/5xx or drop the connection: retry a few times, as the real
  // storefront's data layer does, before giving up.
  async function api(path) {
    let lastError = null;
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt) await sleep(250 * attempt);
      try {
        const response = await fetch(API + path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (response.ok) return await response.json();
        lastError = new HttpError(response.status, path);
        if (response.status !== 429 && response.status < 500) throw lastError;
      } catch (error) {
        if (error instanceof HttpError && error.status !== 429 && error.status < 500) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  // --- head (SEO) ---------------------------------------------------------------------

  function headElement(selector, tag, attributes) {
    let element = document.head.querySelector(selector);
    if (!element) {
      element = document.createElement(tag);
      for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
      document.head.appendChild(element);
    }
    return element;
  }

  function setMeta(attribute, key, content) {
    headElement("meta[" + attribute + '="' + key + '"]', "meta", { [attribute]: key }).setAttribute("content", content);
  }

  function setLink(rel, href, hreflang) {
    const selector = hreflang ? 'link[rel="' + rel + '"][hreflang="' + hreflang + '"]' : 'link[rel="' + rel + '"]';
    const attributes = hreflang ? { rel: rel, hreflang: hreflang } : { rel: rel };
    headElement(selector, "link", attributes).setAttribute("href", href);
  }

  function setJsonLd(id, data) {
    const script = headElement("script#" + id, "script", { type: "application/ld+json", id: id });
    // "<" escaped so that a serialized DOM can't end the script early.
    script.textContent = JSON.stringify(data).replace(/</g, "\\u003c");
  }

  function setSeo(seo) {
    const greekUrl = url(seo.path);
    const englishUrl = url("en/" + seo.path);
    const canonical = route.lang === "en" ? englishUrl : greekUrl;
    document.title = seo.title;
    setMeta("name", "description", seo.description);
    setMeta("name", "robots", seo.robots || "index, follow");
    setLink("canonical", canonical);
    setLink("alternate", greekUrl, "el");
    setLink("alternate", englishUrl, "en");
    setLink("alternate", greekUrl, "x-default");
    setMeta("property", "og:title", seo.title);
    setMeta("property", "og:description", seo.description);
    setMeta("property", "og:url", canonical);
    setMeta("property", "og:site_name", SHOP);
    setMeta("property", "og:type", seo.type || "website");
    setMeta("property", "og:locale", route.lang === "en" ? "en_US" : "el_GR");
    if (seo.image) setMeta("property", "og:image", seo.image);
  }

  // --- layout -------------------------------------------------------------------------

  function header(collections) {
    const visible = collections.filter((c) => c.slug !== "all-products" && c.numberOfProducts > 0);
    const items = visible
      .filter((c) => c.parentSlug === null)
      .map((c) => {
        const children = visible.filter((k) => k.parentSlug === c.slug);
        const submenu = children.length
          ? "<ul>" +
            children.map((k) => '<li><a href="' + esc(categoryUrl(k.slug)) + '">' + esc(k.name) + "</a></li>").join("") +
            "</ul>"
          : "";
        return '<li><a href="' + esc(categoryUrl(c.slug)) + '">' + esc(c.name) + "</a>" + submenu + "</li>";
      })
      .join("");
    return (
      '<header id="SITE_HEADER">' +
      '<a id="logo" data-hook="logo" href="' + esc(BASE) + '">' + esc(SHOP) + "</a>" +
      '<nav id="SITE_HEADER_MENU" aria-label="menu"><ul>' +
      '<li><a href="' + esc(BASE) + '">' + T.home + "</a></li>" +
      '<li><a href="' + esc(url("shop")) + '">' + T.shop + "</a></li>" +
      items +
      "</ul></nav>" +
      '<button type="button" data-hook="cart-icon-button" aria-label="' + T.cart + '">' +
      T.cart + ' (<span data-hook="items-quantity">0</span>)</button>' +
      "</header>"
    );
  }

  function footer() {
    return (
      '<footer id="SITE_FOOTER">' +
      "<p>© 2025 " + esc(SHOP) + ". " + T.rights + "</p>" +
      '<p><a href="' + esc(url("shop")) + '">' + T.shop + "</a></p>" +
      '<a href="' + esc(url(TRAP_PATH)) + '" style="display:none" tabindex="-1" aria-hidden="true" rel="nofollow">.</a>' +
      "</footer>"
    );
  }

  function cookieBanner() {
    return (
      '<div id="consent-banner" role="dialog" data-hook="consent-banner-root">' +
      "<p>" + T.cookies + "</p>" +
      '<button type="button" data-hook="consent-banner-apply-button">' + T.accept + "</button>" +
      "</div>"
    );
  }

  function wireCookieBanner() {
    const banner = document.getElementById("consent-banner");
    let accepted = false;
    try {
      accepted = window.localStorage.getItem("consent-policy") === "accepted";
    } catch (error) {
      accepted = false; // storage disabled: show the banner every time
    }
    if (accepted) banner.hidden = true;
    banner.querySelector("button").addEventListener("click", () => {
      banner.hidden = true;
      try {
        window.localStorage.setItem("consent-policy", "accepted");
      } catch (error) {
        // storage disabled: nothing to remember it in
      }
    });
  }

  function renderLayout(collections, main) {
    container.innerHTML =
      header(collections) + '<main id="PAGES_CONTAINER" role="main">' + main + "</main>" + footer() + cookieBanner();
    wireCookieBanner();
  }

  function breadcrumbs(links, current) {
    const items = [{ name: T.home, url: BASE }].concat(links);
    return (
      '<nav data-hook="breadcrumbs" aria-label="breadcrumbs"><ol>' +
      items.map((item) => '<li><a href="' + esc(item.url) + '">' + esc(item.name) + "</a></li>").join("") +
      '<li aria-current="page">' + esc(current) + "</li>" +
      "</ol></nav>"
    );
  }

  // --- product grids --------------------------------------------------------------------

  function onSale(priceData) {
    return priceData.discountedPrice !== null && priceData.price !== priceData.discountedPrice;
  }

  function cardPrice(priceData) {
    if (priceData.discountedPrice === null) {
      return '<span data-hook="product-item-price-on-request">' + T.onRequest + "</span>";
    }
    const before = onSale(priceData)
      ? '<span data-hook="product-item-price-before-discount">' + esc(priceData.formatted.price) + "</span> "
      : "";
    return (
      '<div data-hook="product-item-prices-and-discount">' + before +
      '<span data-hook="product-item-price-to-pay">' + esc(priceData.formatted.discountedPrice) + "</span></div>"
    );
  }

  function card(product) {
    const href = esc(productUrl(product));
    const image = product.media && product.media.mainMedia ? product.media.mainMedia.image.url : "";
    const ribbon = product.ribbon ? '<span data-hook="ribbon">' + esc(product.ribbon) + "</span>" : "";
    const stock = product.stock.inStock ? "" : '<span data-hook="product-item-out-of-stock">' + T.outOfStock + "</span>";
    return (
      '<li data-hook="product-list-grid-item"><div data-hook="product-item-root" data-product-id="' + esc(product.id) + '">' +
      '<a href="' + href + '" data-hook="product-item-container" tabindex="-1">' +
      '<img data-hook="product-item-images" src="' + esc(image) + '" alt="' + esc(product.name) + '" width="300" height="300">' +
      ribbon + "</a>" +
      '<div data-hook="not-image-container">' +
      '<a href="' + href + '" data-hook="product-item-product-details-link">' +
      '<p data-hook="product-item-name">' + esc(product.name) + "</p></a>" +
      '<div data-hook="product-item-product-details">' + cardPrice(product.priceData) + "</div>" +
      stock + "</div></div></li>"
    );
  }

  function grid(products) {
    if (!products.length) return '<p data-hook="empty-gallery">' + T.noProducts + "</p>";
    return '<ul class="product-grid" data-hook="product-list-wrapper">' + products.map(card).join("") + "</ul>";
  }

  function pageHref(path, page) {
    return esc(url(path + (page > 1 ? "?page=" + page : "")));
  }

  function pagination(path, page, totalPages) {
    if (totalPages <= 1) return "";
    let html = '<nav data-hook="pagination" aria-label="' + T.pages + '">';
    if (page > 1) {
      html += '<a data-hook="pagination__previous" rel="prev" href="' + pageHref(path, page - 1) + '">' + T.previous + "</a>";
    }
    for (let n = 1; n <= totalPages; n++) {
      html +=
        n === page
          ? '<span data-hook="pagination__current" aria-current="page">' + n + "</span>"
          : '<a data-hook="pagination__page" href="' + pageHref(path, n) + '">' + n + "</a>";
    }
    if (page < totalPages) {
      html += '<a data-hook="pagination__next" rel="next" href="' + pageHref(path, page + 1) + '">' + T.next + "</a>";
    }
    return html + "</nav>";
  }

  // --- pages ----------------------------------------------------------------------------

  async function renderHome() {
    const [categories, list] = await Promise.all([api("categories"), api("products?page=1")]);
    renderLayout(
      categories.collections,
      '<section data-hook="hero"><h1>' + esc(SHOP) + "</h1><p>" + T.tagline + "</p></section>" +
        "<section><h2>" + T.featured + "</h2>" + grid(list.products.slice(0, 8)) +
        '<p><a data-hook="see-all" href="' + esc(url("shop")) + '">' + T.seeAll + "</a></p></section>"
    );
    setSeo({ title: SHOP + " | " + T.tagline, description: T.siteDescription, path: "" });
  }

  async function renderListing(categorySlug) {
    const query = "products?page=" + route.page + (categorySlug ? "&category=" + encodeURIComponent(categorySlug) : "");
    let categories, list;
    try {
      [categories, list] = await Promise.all([api("categories"), api(query)]);
    } catch (error) {
      if (error.status === 404) return renderNotFound();
      throw error;
    }
    const total = list.pagination.totalPages;
    if (route.page > total) return renderNotFound(categories);
    const collections = categories.collections;
    let title = T.shop;
    let description = T.shopDescription;
    let trail = [];
    if (categorySlug) {
      const category = collections.find((c) => c.slug === categorySlug);
      const parent = category.parentSlug ? collections.find((c) => c.slug === category.parentSlug) : null;
      title = category.name;
      description = T.categoryDescription + " " + category.name + ".";
      trail = parent ? [{ name: parent.name, url: categoryUrl(parent.slug) }] : [];
    }
    renderLayout(
      collections,
      breadcrumbs(trail, title) +
        '<section data-hook="category-header">' +
        '<h1 data-hook="category-header-title">' + esc(title) + "</h1>" +
        '<p data-hook="category-header-description">' + esc(description) + "</p></section>" +
        '<section data-hook="gallery">' +
        '<p data-hook="product-count">' + list.totalResults + " " + T.products + "</p>" +
        grid(list.products) +
        pagination(route.path, route.page, total) +
        "</section>"
    );
    const pageSuffix = route.page > 1 ? " - " + route.page : "";
    setSeo({
      title: title + pageSuffix + " | " + SHOP,
      description: description,
      path: route.path + (route.page > 1 ? "?page=" + route.page : ""),
    });
  }

  function priceBlock(priceData) {
    if (priceData.discountedPrice === null) {
      return '<span data-hook="price-on-request">' + T.onRequest + "</span>";
    }
    const before = onSale(priceData)
      ? '<del data-hook="formatted-secondary-price">' + esc(priceData.formatted.price) + "</del> "
      : "";
    const now = esc(priceData.formatted.discountedPrice);
    return before + '<span data-hook="formatted-primary-price" data-wix-price="' + now + '">' + now + "</span>";
  }

  function stockText(inStock) {
    return inStock ? T.inStock : T.outOfStock;
  }

  function optionSelectors(product) {
    return product.productOptions
      .map(
        (option) =>
          '<label data-hook="product-options-label">' + esc(option.name) + " " +
          '<select data-hook="dropdown-option" data-option-name="' + esc(option.name) + '">' +
          '<option value="">' + T.choose + "</option>" +
          option.choices
            .map(
              (choice) =>
                '<option value="' + esc(choice.value) + '"' + (choice.inStock ? "" : " data-out-of-stock") + ">" +
                esc(choice.description) + (choice.inStock ? "" : " – " + T.outOfStock) + "</option>"
            )
            .join("") +
          "</select></label>"
      )
      .join("");
  }

  function infoTable(sections) {
    if (!sections.length) return "";
    const rows = sections
      .map((s) => '<tr><th scope="row">' + esc(s.title) + "</th><td>" + s.description + "</td></tr>")
      .join("");
    return (
      '<section data-hook="info-section"><h2>' + T.details + "</h2>" +
      '<table data-hook="info-section-table"><tbody>' + rows + "</tbody></table></section>"
    );
  }

  function productMain(product) {
    const images = product.media.items;
    const inStock = product.stock.inStock;
    const canBuy = inStock && product.priceData.discountedPrice !== null;
    const trail = product.categories.map((c) => ({ name: c.name, url: categoryUrl(c.slug) }));
    return (
      breadcrumbs(trail, product.name) +
      '<article data-hook="product-page">' +
      '<div data-hook="product-gallery">' +
      '<img data-hook="main-media-image" src="' + esc(images[0].image.url) + '" alt="' + esc(product.name) + '" width="500" height="500">' +
      '<ul data-hook="thumbnails">' +
      images.map((m) => '<li><img src="' + esc(m.image.url) + '" alt="" width="80" height="80"></li>').join("") +
      "</ul></div>" +
      '<div data-hook="info-column">' +
      '<h1 data-hook="product-title">' + esc(product.name) + "</h1>" +
      '<p data-hook="product-brand">' + T.brand + ": " + esc(product.brand) + "</p>" +
      '<p data-hook="sku">' + T.sku + ': <span data-hook="sku-value">' + esc(product.sku) + "</span></p>" +
      '<div data-hook="product-prices-wrapper">' + priceBlock(product.priceData) + "</div>" +
      '<p data-hook="product-stock" data-in-stock="' + inStock + '">' + stockText(inStock) + "</p>" +
      '<div data-hook="product-options">' + optionSelectors(product) + "</div>" +
      '<button type="button" data-hook="add-to-cart"' + (canBuy ? "" : " disabled") + ">" +
      (product.priceData.discountedPrice === null ? T.contactUs : inStock ? T.addToCart : T.outOfStock) +
      "</button>" +
      '<div data-hook="description">' + product.description + "</div>" +
      infoTable(product.additionalInfoSections) +
      "</div></article>" +
      '<section data-hook="related-products"><h2>' + T.related + "</h2>" + grid(product.relatedProducts) + "</section>"
    );
  }

  function selectedVariant(product) {
    const chosen = {};
    for (const select of container.querySelectorAll('[data-hook="dropdown-option"]')) {
      if (!select.value) return null;
      chosen[select.dataset.optionName] = select.value;
    }
    return product.variants.find((v) => Object.keys(chosen).every((name) => v.choices[name] === chosen[name])) || null;
  }

  function wireVariantSelectors(product) {
    const prices = container.querySelector('[data-hook="product-prices-wrapper"]');
    const stock = container.querySelector('[data-hook="product-stock"]');
    const sku = container.querySelector('[data-hook="sku-value"]');
    const button = container.querySelector('[data-hook="add-to-cart"]');
    for (const select of container.querySelectorAll('[data-hook="dropdown-option"]')) {
      select.addEventListener("change", () => {
        const variant = selectedVariant(product);
        const priceData = variant ? variant.variant.priceData : product.priceData;
        const inStock = variant ? variant.stock.inStock : product.stock.inStock;
        prices.innerHTML = priceBlock(priceData);
        stock.textContent = stockText(inStock);
        stock.dataset.inStock = String(inStock);
        sku.textContent = variant ? variant.variant.sku : product.sku;
        button.disabled = !inStock;
        button.textContent = inStock ? T.addToCart : T.outOfStock;
      });
    }
  }

  function offer(priceData, inStock, pageUrl) {
    const result = {
      "@type": "Offer",
      url: pageUrl,
      priceCurrency: priceData.currency || CURRENCY,
      availability: SCHEMA + (inStock ? "InStock" : "OutOfStock"),
      itemCondition: SCHEMA + "NewCondition",
    };
    if (priceData.discountedPrice !== null) {
      result.price = priceData.discountedPrice;
      if (onSale(priceData)) {
        result.priceSpecification = {
          "@type": "UnitPriceSpecification",
          priceType: SCHEMA + "StrikethroughPrice",
          price: priceData.price,
          priceCurrency: priceData.currency || CURRENCY,
        };
      }
    }
    return result;
  }

  function variantJsonLd(variant, pageUrl) {
    const item = { "@type": "Product", sku: variant.variant.sku, name: Object.values(variant.choices).join(" / ") };
    const properties = [];
    for (const [name, value] of Object.entries(variant.choices)) {
      if (COLOUR_OPTIONS.includes(name)) item.color = value;
      else if (SIZE_OPTIONS.includes(name)) item.size = value;
      // The shop's own option name, which color/size alone would lose.
      properties.push({ "@type": "PropertyValue", name: name, value: value });
    }
    item.additionalProperty = properties;
    item.offers = offer(variant.variant.priceData, variant.stock.inStock, pageUrl);
    return item;
  }

  function productJsonLd(product, pageUrl) {
    const common = {
      name: product.name,
      sku: product.sku,
      brand: { "@type": "Brand", name: product.brand },
      image: product.media.items.map((m) => m.image.url),
      description: htmlToText(product.description),
      url: pageUrl,
    };
    if (product.gtin) common.gtin13 = product.gtin;
    if (!product.variants.length) {
      return Object.assign({ "@context": SCHEMA, "@type": "Product", productID: product.id }, common, {
        offers: offer(product.priceData, product.stock.inStock, pageUrl),
      });
    }
    const variesBy = [];
    for (const option of product.productOptions) {
      if (COLOUR_OPTIONS.includes(option.name)) variesBy.push(SCHEMA + "color");
      else if (SIZE_OPTIONS.includes(option.name)) variesBy.push(SCHEMA + "size");
    }
    return Object.assign({ "@context": SCHEMA, "@type": "ProductGroup", productGroupID: product.id }, common, {
      variesBy: variesBy,
      hasVariant: product.variants.map((v) => variantJsonLd(v, pageUrl)),
    });
  }

  function breadcrumbJsonLd(product, pageUrl) {
    const items = [{ name: T.home, url: BASE }]
      .concat(product.categories.map((c) => ({ name: c.name, url: categoryUrl(c.slug) })))
      .concat([{ name: product.name, url: pageUrl }]);
    return {
      "@context": SCHEMA,
      "@type": "BreadcrumbList",
      itemListElement: items.map((item, i) => ({ "@type": "ListItem", position: i + 1, name: item.name, item: item.url })),
    };
  }

  function seoTag(product, type) {
    const tag = (product.seoData && product.seoData.tags ? product.seoData.tags : []).find((t) => t.type === type);
    return tag || null;
  }

  async function renderProduct() {
    let categories, data;
    try {
      [categories, data] = await Promise.all([api("categories"), api("product/" + encodeURIComponent(route.slug))]);
    } catch (error) {
      if (error.status === 404) return renderNotFound();
      throw error;
    }
    const product = data.product;
    const pageUrl = productUrl(product);
    renderLayout(categories.collections, productMain(product));
    wireVariantSelectors(product);
    const title = seoTag(product, "title");
    const description = seoTag(product, "meta");
    setSeo({
      title: title ? title.children : product.name + " | " + SHOP,
      description: description ? description.props.content : htmlToText(product.description),
      path: product.productPageUrl.path,
      image: product.media.mainMedia.image.url,
      type: "product",
    });
    setJsonLd("wix-product-structured-data", productJsonLd(product, pageUrl));
    setJsonLd("wix-breadcrumbs-structured-data", breadcrumbJsonLd(product, pageUrl));
  }

  async function renderNotFound(categories) {
    const collections = categories ? categories.collections : (await api("categories")).collections;
    renderLayout(
      collections,
      '<section data-hook="not-found"><h1>' + T.notFound + "</h1><p>" + T.notFoundText + "</p>" +
        '<p><a href="' + esc(BASE) + '">' + T.home + "</a></p></section>"
    );
    setSeo({ title: T.notFound + " | " + SHOP, description: T.notFoundText, path: route.path, robots: "noindex" });
  }

  async function main() {
    try {
      if (route.name === "home") await renderHome();
      else if (route.name === "shop") await renderListing(null);
      else if (route.name === "category") await renderListing(route.slug);
      else if (route.name === "product") await renderProduct();
      else await renderNotFound();
      container.setAttribute("data-rendered", "true");
    } catch (error) {
      container.innerHTML = '<p role="alert" data-hook="load-error">' + T.loadError + "</p>";
      container.setAttribute("data-rendered", "error");
    }
  }

  main();
})();
