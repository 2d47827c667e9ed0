/**
 * The portal's one stylesheet and one small script, served from memory with long caching
 * (their URLs carry a content hash). Pages work without the script: it only adds live status
 * updates, as-you-type validation and local times.
 */
import { createHash } from 'node:crypto';
import { chartCss } from '../experience/charts';

/** The one stylesheet: readable, visible focus, no framework. */
export const css = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--accent:#0b5cad;--accent-fg:#fff;--warn-bg:#fff4d6;--warn:#7a4d00;--ok-bg:#e6f4ea;--ok:#1e6b34;--err:#b3261e;--line:#d0d7de;--focus:#ffbf47}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:2}
header{display:flex;flex-wrap:wrap;gap:4px 16px;align-items:center;padding:8px 16px;border-bottom:1px solid var(--line)}
header .brand{font-weight:700;text-decoration:none;color:var(--fg);margin-right:8px}
header nav ul{display:flex;flex-wrap:wrap;gap:4px 16px;list-style:none;margin:0;padding:0}
header form{margin-left:auto}
main{max-width:52rem;margin:0 auto;padding:16px}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
label{display:block;font-weight:600;margin-top:12px}
.hint{display:block;color:var(--muted);font-weight:400;font-size:.9rem}
input,select,textarea{font:inherit;padding:6px 8px;border:1px solid #6e7781;border-radius:4px;width:100%;max-width:28rem}
input[type=radio],input[type=checkbox]{width:auto}
fieldset{border:1px solid var(--line);border-radius:6px;margin:12px 0;padding:8px 12px}
fieldset label{display:inline;font-weight:400;margin:0 16px 0 4px}
button,.button{font:inherit;display:inline-block;margin-top:12px;padding:8px 16px;border:0;border-radius:4px;background:var(--accent);color:var(--accent-fg);cursor:pointer;text-decoration:none}
button.secondary{background:#eef1f4;color:var(--fg);border:1px solid var(--line)}
header button{margin:0;padding:4px 10px}
.error{color:var(--err);font-weight:600}
[aria-invalid=true]{border-color:var(--err);border-width:2px}
.banner{background:var(--warn-bg);color:var(--warn);border-left:6px solid #d4a017;padding:12px 16px;margin:12px 0;border-radius:4px}
.banner h2{margin-top:0;color:var(--fg)}
.notice{background:var(--ok-bg);color:var(--ok);border-left:6px solid var(--ok);padding:12px 16px;margin:12px 0;border-radius:4px}
.alert{background:#fdecea;color:var(--err);border-left:6px solid var(--err);padding:12px 16px;margin:12px 0;border-radius:4px}
.cards{list-style:none;padding:0}
.cards li{border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:8px 0}
.cards h2,.cards h3{margin:0 0 4px;font-size:1.1rem}
.stage{display:inline-block;padding:0 8px;border-radius:999px;background:#eef1f4;font-size:.9rem}
.stage.done{background:var(--ok-bg);color:var(--ok)}.stage.failed{background:#fdecea;color:var(--err)}
ol.timeline{padding-left:1.2rem}ol.timeline li{margin:4px 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;border-bottom:1px solid var(--line);padding:6px 8px;vertical-align:top}
.muted{color:var(--muted)}
pre{white-space:pre-wrap;background:#f6f8fa;padding:8px;border-radius:4px;font-size:.9rem}
.inline{display:inline}
main:has(.experience){max-width:76rem}
.experience section{overflow-x:auto;margin-bottom:1rem}
.experience table{font-size:.9rem}.experience caption{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.experience td.num,.experience th.num{text-align:right;font-variant-numeric:tabular-nums}.experience td.num{white-space:nowrap}
.xla-status{white-space:nowrap;font-weight:600}.xla-met{color:var(--ok)}.xla-at-risk{color:var(--warn)}.xla-broken{color:var(--err)}.xla-no-data,.xla-none{color:var(--muted);font-weight:400}
.experience-filter{display:flex;flex-wrap:wrap;gap:0 16px;align-items:end}.experience-filter label{margin-top:0}.experience-filter select{width:auto}
${chartCss}`;

/** The one script: live regions (`data-live`), as-you-type validation (`data-validate`), local times. */
export const js = `
(function(){
  'use strict';
  function localTimes(root){
    root.querySelectorAll('time[datetime]').forEach(function(t){
      var v=t.getAttribute('datetime');
      // A calendar day (YYYY-MM-DD, a UTC day in the reports) has no local time to show.
      if(v.indexOf('T')<0) return;
      var d=new Date(v);
      if(!isNaN(d)) t.textContent=d.toLocaleString();
    });
  }
  function live(el){
    var src=el.getAttribute('data-live'), every=Number(el.getAttribute('data-live-every')||'2000');
    var timer=null;
    function tick(){
      if(el.querySelector('[data-final]')) return;
      fetch(src,{headers:{accept:'text/html'},credentials:'same-origin'}).then(function(r){
        return r.ok?r.text():null;
      }).then(function(text){
        if(text!==null && text!==el.getAttribute('data-last')){
          el.setAttribute('data-last',text);
          el.innerHTML=text;
          localTimes(el);
        }
      }).catch(function(){}).then(function(){ timer=setTimeout(tick,every); });
    }
    timer=setTimeout(tick,every);
  }
  function validating(form){
    var url=form.getAttribute('data-validate'), pending=null, seq=0;
    var tokenInput=form.querySelector('input[name=_csrf]');
    function show(errors){
      form.querySelectorAll('[data-field]').forEach(function(input){
        var name=input.getAttribute('data-field');
        var out=document.getElementById(name+'-error');
        if(!out) return;
        var touched=input.getAttribute('data-touched')==='1';
        var msg=touched?(errors[name]||''):'';
        out.textContent=msg;
        if(msg) input.setAttribute('aria-invalid','true'); else input.removeAttribute('aria-invalid');
      });
    }
    function check(){
      var data={};
      new FormData(form).forEach(function(v,k){ if(k!=='_csrf'&&k!=='submissionId') data[k]=String(v); });
      var mine=++seq;
      fetch(url,{method:'POST',credentials:'same-origin',headers:{'content-type':'application/json','x-csrf-token':tokenInput?tokenInput.value:''},body:JSON.stringify(data)})
        .then(function(r){return r.ok?r.json():null;})
        .then(function(body){ if(body&&mine===seq) show(body.errors||{}); })
        .catch(function(){});
    }
    form.addEventListener('input',function(e){
      if(e.target&&e.target.setAttribute) e.target.setAttribute('data-touched','1');
      clearTimeout(pending); pending=setTimeout(check,250);
    });
    form.addEventListener('change',function(e){
      if(e.target&&e.target.setAttribute) e.target.setAttribute('data-touched','1');
      clearTimeout(pending); pending=setTimeout(check,50);
    });
  }
  function once(form){
    form.addEventListener('submit',function(){
      var b=form.querySelector('button[type=submit]');
      if(b){ setTimeout(function(){ b.disabled=true; },0); }
    });
  }
  function servicePicker(input){
    var list=document.getElementById(input.getAttribute('list'));
    var src=input.getAttribute('data-service-search');
    var seq=0, timer=null;
    if(!list||!src) return;
    input.addEventListener('input',function(){
      clearTimeout(timer);
      timer=setTimeout(function(){
        var mine=++seq;
        fetch(src+'?q='+encodeURIComponent(input.value),{headers:{accept:'application/json'},credentials:'same-origin'})
          .then(function(r){return r.ok?r.json():null;})
          .then(function(body){
            if(!body||mine!==seq) return;
            list.textContent='';
            body.services.forEach(function(s){
              var o=document.createElement('option'); o.value=s.id; o.textContent=s.name; list.appendChild(o);
            });
            list.setAttribute('data-for',input.value);
          })
          .catch(function(){});
      },150);
    });
  }
  document.addEventListener('DOMContentLoaded',function(){
    localTimes(document);
    document.querySelectorAll('input[data-service-search]').forEach(servicePicker);
    document.querySelectorAll('[data-live]').forEach(live);
    document.querySelectorAll('form[data-validate]').forEach(validating);
    document.querySelectorAll('form[data-once]').forEach(once);
  });
})();
`;

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** Versioned URLs so browsers may cache them for a year. */
export const assetPaths = {
  css: `/assets/app.${hash(css)}.css`,
  js: `/assets/app.${hash(js)}.js`,
} as const;
