// Progressive enhancement: a "Copy link" button next to a read-only field. Without JavaScript
// the button stays hidden and the link can still be selected and copied by hand.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy"));
  var status = button.parentElement.querySelector(".copy-status");
  if (!field || !navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      if (status) { status.textContent = button.getAttribute("data-copied"); }
    }, function () {
      field.select();
      if (status) { status.textContent = button.getAttribute("data-select"); }
    });
  });
});
